// pywebsocket handlers (*_wsh.py modules defining web_socket_transfer_data) served unchanged. One
// Python host process per handler file and loop thread (python/wsx_pyhost.py, started at the
// file's first connection on that loop) runs every connection of that file on that loop, each on
// its own Python thread, multiplexed over the process's stdin/stdout with a small framed protocol
// (see wsx_pyhost.py). With several loop threads (`wsx serve --threads N`) each runs its own host
// per handler file, so a module's state (its globals) is shared by the connections of one loop
// thread, not across threads. web_socket_do_extra_handshake runs before the 101 (the upgrade is
// deferred until the host answers); the passive closing handshake chooses the reply to a
// client's close. Backpressure both ways: a handler that has not taken `input_window` bytes stops
// the peer being read; a handler's sends block in the host while the server holds a window of
// its output not yet queued, and that window is only returned while the connection is below its
// high watermark. A host dying closes its connections with 1011 and the next connection on its
// loop starts a new one; destroying the handlers (the route went away: shutdown, or a reload once
// no connection uses the old code) ends every host. The handlers may be shared by the routes of
// several loops; each loop must outlive them.
// Must not: run Python in the server's process, or block the loop on the host.
#pragma once

#include <cstddef>
#include <string>

#include "wsx/net/loop.hpp"
#include "wsx/route.hpp"

namespace wsx {

struct PythonHandlerOptions {
    std::string path;         // the *_wsh.py file
    std::string host_script;  // python/wsx_pyhost.py
    std::string python = "/usr/bin/python3";
    std::size_t input_window = 256 * 1024;     // bytes handed to the handler and not yet received
    std::size_t max_frame = 64 * 1024 * 1024;  // a larger frame from the host ends the host
    net::TimeMs kill_grace_ms = 2000;
};

/// Handlers that run the pywebsocket module `options.path` in a Python host process.
[[nodiscard]] Handlers make_python_handlers(PythonHandlerOptions options);

/// A *_wsh.py file is a pywebsocket module (not an executable line handler) when it defines
/// `web_socket_transfer_data` at top level (a line starting "def web_socket_transfer_data").
[[nodiscard]] bool is_pywebsocket_module(const std::string& path);

}  // namespace wsx
