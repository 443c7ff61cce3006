// Executable handlers, the way websocketd runs programs: one process per WebSocket connection.
// Each received text message is one line on the process's stdin; each line it writes to stdout
// is one text message; what it writes to stderr goes to the log. The process gets a CGI-style
// environment (REMOTE_ADDR, REMOTE_PORT, SERVER_PORT, QUERY_STRING, REQUEST_URI, SCRIPT_NAME,
// HTTP_* header fields, WEBSOCKET_PROTOCOL). The process exiting closes the WebSocket (1000 on
// exit status 0, 1011 otherwise); the WebSocket closing ends the process (stdin closed, SIGTERM,
// SIGKILL after a grace period) and reaps it. Pipes are non-blocking and bounded, with
// backpressure both ways: a full stdin stops reading from the peer, a peer that does not read
// stops reading from stdout. In line mode binary messages are refused with 1003; the binary mode
// frames each message with its type and length instead.
//
// Topics, through a control channel: the process's fd 3 (named by WSX_CONTROL_FD=3 in its
// environment) is a pipe it writes commands to, one per line, apart from its messages:
//   subscribe TOPIC      its WebSocket gets what is published to TOPIC (straight to the peer,
//                        not through the process) until it unsubscribes or closes
//   unsubscribe TOPIC
//   publish TOPIC TEXT   TEXT (the rest of the line, may be empty) to TOPIC's subscribers,
//                        on every loop thread
// A topic is one or more bytes with no space or newline. A malformed or unknown line is logged
// and skipped; nothing is written back.
#pragma once

#include <cstddef>
#include <string>

#include "wsx/net/loop.hpp"
#include "wsx/route.hpp"

namespace wsx {

struct ExecutableOptions {
    std::string path;  // the program
    /// At once, for this resource, over every loop thread that serves it; past it: 503 (or, if
    /// another loop took the last slot between the upgrade and the open, a close with 1013).
    std::size_t max_processes = 256;
    net::TimeMs kill_grace_ms = 2000;       // SIGTERM, then SIGKILL after this
    std::size_t max_line = 1024 * 1024;     // a longer stdout line or frame closes with 1009
    std::size_t stdin_limit = 1024 * 1024;  // queued for stdin before the peer is paused
    /// Length-prefixed mode instead of lines, both ways: each message is a type byte (1 text, 2
    /// binary), a 4-byte big-endian length, then the payload. Binary messages allowed.
    bool binary_mode = false;
    /// The control channel on fd 3 (topics, above); off: fd 3 is not open in the process.
    bool control_channel = true;
};

/// Handlers that run `options.path` for each connection. They may be shared by the routes of
/// several loop threads; each connection's process is driven by that connection's loop.
[[nodiscard]] Handlers make_executable_handlers(ExecutableOptions options);

}  // namespace wsx
