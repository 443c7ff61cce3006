// `wsx connect`'s command line; see connect_command.hpp.
#include "connect/connect_command.hpp"

namespace wsx::tools {
namespace {

// How received messages, pings and closes are shown; --echo and slash commands.
void add_output_flags(CLI::App* c, ConnectOptions& o) {
    c->add_flag("--show-close", o.show_close,
                "Print the close code, reason and whether it was clean");
    c->add_flag("--echo", o.echo,
                "Send every message received back as it came, until the server closes");
    c->add_flag("--raw", o.raw, "Print received payloads only, without '< ' marks");
    c->add_flag("--show-ping", o.show_ping,
                "Print pings and pongs received; a pong with the round-trip time of the last ping");
    c->add_flag("--slash", o.slash,
                "Slash commands in typed lines even when stdin is not a terminal: /ping [TEXT], "
                "/close [CODE [REASON]], /binary HEX, //TEXT, /help");
    c->add_flag("--no-edit", o.no_edit,
                "On a terminal, read lines as the terminal gives them: no line editor, no "
                "history (the editor: arrows, Home/End, Up/Down through the lines sent, Ctrl-A/E/"
                "K/U/W, Ctrl-D on an empty line ends the input)");
}

}  // namespace

CLI::App* add_connect_command(CLI::App& app, ConnectOptions& o) {
    CLI::App* c =
            app.add_subcommand("connect", "Connect to a WebSocket server (interactive client)");
    c->add_option("url", o.url, "ws:// or wss:// URL (http:// is taken as ws://)")->required();
    c->add_option("-s,--subprotocol", o.subprotocols, "Subprotocol to offer (repeatable)");
    c->add_option("-H,--header", o.headers, "Extra request header 'Name: value' (repeatable)");
    c->add_option("--origin", o.origin, "Origin header to send");
    c->add_flag("--binary", o.binary, "Send typed lines as binary messages");
    c->add_option("--ping-interval", o.ping_interval_s, "Send a ping every this many seconds")
            ->check(CLI::NonNegativeNumber);
    c->add_option("-x,--execute", o.execute,
                  "Send this message once connected (repeatable), print the replies, close and "
                  "exit; stdin is not read");
    c->add_option("-n,--replies", o.replies,
                  "Replies to wait for, then close (default with -x: one per message)")
            ->check(CLI::NonNegativeNumber);
    c->add_option("-t,--timeout", o.timeout_s,
                  "Seconds to wait for the -n replies (then exit status 6)")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
    c->add_option("-w,--wait", o.wait_s,
                  "When stdin ends (and no -n): seconds without a message before closing")
            ->check(CLI::NonNegativeNumber)
            ->capture_default_str();
    add_output_flags(c, o);
    c->add_option("--connect-timeout", o.connect_timeout_s,
                  "Seconds for name resolution and TCP connect")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
    c->add_option("--max-message-size", o.max_message_size,
                  "Largest message accepted (then close 1009); suffixes KiB/MiB accepted")
            ->transform(CLI::AsSizeValue(false))
            ->capture_default_str();
    c->add_option("--max-redirects", o.max_redirects,
                  "Follow this many 3xx answers to the handshake (default: report them)")
            ->check(CLI::NonNegativeNumber);
    c->add_option("--reconnect", o.reconnect,
                  "Reconnect up to N times in a row (with backoff) when the connection ends "
                  "without our close")
            ->check(CLI::NonNegativeNumber);
    c->add_option("--proxy", o.proxy,
                  "HTTP proxy to tunnel through with CONNECT (http://user:pass@host:port); "
                  "default: http_proxy / https_proxy, minus no_proxy, never for loopback");
    c->add_flag("--no-env-proxy", o.no_env_proxy, "Ignore http_proxy / https_proxy");
    c->add_flag("--no-deflate", o.no_deflate, "Do not offer permessage-deflate (RFC 7692)");
    c->add_option("--cacert", o.ca_file,
                  "wss://: PEM file of the CAs to trust instead of the system's store");
    c->add_option("--capath", o.ca_dir, "wss://: hashed folder of CAs to trust (c_rehash)");
    c->add_option("--cert", o.cert_file, "wss://: client certificate (PEM, chain)");
    c->add_option("--key", o.key_file, "wss://: the client certificate's key (default: --cert)");
    c->add_flag("--insecure", o.insecure,
                "wss://: accept any server certificate (for tests only: no protection)");
    c->footer(
            "Exit status: 0 closed cleanly with 1000/1001 (or every reply received), 2 usage, 3 no "
            "connection, 4 handshake refused, 5 closed abnormally, 6 replies timed out (-x), 7 TLS "
            "failed, 8 closed cleanly with another code (1011: the server's handler failed).");
    return c;
}

}  // namespace wsx::tools
