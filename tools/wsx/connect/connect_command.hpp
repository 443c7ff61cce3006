// `wsx connect URL`: an interactive WebSocket client in the spirit of wscat and websocat. Lines
// typed (or piped) become messages; messages received are printed with a direction mark. A
// non-interactive mode (-x) sends given messages, waits for replies, prints them and exits; an
// echo mode sends every message back as it came (how client conformance suites drive a client).
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace wsx::tools {

struct ConnectOptions {
    std::string url;
    std::vector<std::string> subprotocols;
    std::vector<std::string> headers;  // "Name: value"
    std::string origin;
    bool binary = false;  // lines typed are sent as binary messages
    double ping_interval_s = 0;
    std::vector<std::string> execute;  // -x: messages to send, non-interactive
    int replies = -1;       // replies to wait for, then close (default: one per -x message)
    double timeout_s = 10;  // how long to wait for them
    double wait_s = 1;      // after stdin ends (without -n): silence to wait for before closing
    bool show_close = false;
    bool show_ping = false;  // print pings and pongs received (pongs with the round-trip time)
    bool slash = false;      // slash commands in typed lines (on anyway when stdin is a terminal)
    bool no_edit = false;    // no line editor even on a terminal: stdin read as plain lines
    bool echo = false;
    bool raw = false;  // print received payloads only, without marks
    double connect_timeout_s = 10;
    std::size_t max_message_size = 16 * 1024 * 1024;
    int max_redirects = 0;
    int reconnect = 0;  // reconnections in a row after an end we did not ask for
    std::string proxy;  // empty: http_proxy / https_proxy / no_proxy from the environment
    bool no_env_proxy = false;
    bool no_deflate = false;  // do not offer permessage-deflate
    std::string ca_file;      // --cacert: trust these CAs instead of the system's (wss://)
    std::string ca_dir;       // --capath
    std::string cert_file;    // --cert: a client certificate
    std::string key_file;     // --key: its key (default: in the --cert file)
    bool insecure = false;    // --insecure: no certificate check, for tests only
};

/// Exit statuses, distinct per outcome.
enum ConnectExit : int {
    kExitClean = 0,         // closed cleanly with 1000, 1001 or no code, or every reply received
    kExitUsage = 2,         // bad options or URL
    kExitRefused = 3,       // no connection: name not found, refused, unreachable, timeout
    kExitHandshake = 4,     // the server did not accept the opening handshake
    kExitAbnormal = 5,      // closed without a closing handshake (1006) or with a failure
    kExitReplyTimeout = 6,  // -x: fewer replies than awaited within the timeout
    kExitTls = 7,           // wss://: the TLS handshake failed (certificate not trusted, ...)
    kExitCloseCode = 8,     // closed cleanly, but with another code (1011 from a failing handler)
};

CLI::App* add_connect_command(CLI::App& app, ConnectOptions& options);

/// Runs the client; returns the process exit status.
[[nodiscard]] int run_connect(const ConnectOptions& options);

}  // namespace wsx::tools
