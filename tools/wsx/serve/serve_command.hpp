// `wsx serve`: the standalone server in the spirit of pywebsocket's standalone.py. Parses its
// options into ServeOptions (CLI11) and runs the server until SIGINT or SIGTERM, which close every
// connection with 1001 and exit 0.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "wsx/server.hpp"

#include "serve/deflate_options.hpp"
#include "serve/metrics_route.hpp"
#include "serve/pubsub_route.hpp"

namespace wsx::tools {

struct ServeOptions {
    ServerOptions server;
    std::optional<unsigned> threads;  // event loop threads (0: one per core); unset: see --help
    std::string log_level = "info";
    double handshake_timeout_s = 10;
    double idle_timeout_s = 60;
    double closing_timeout_s = 5;
    std::vector<std::string> subprotocols;
    std::vector<std::string> origins;
    std::string document_root;  // empty: the bundled examples/www
    std::string handler_dir;    // empty: the bundled handlers
    std::string scan_dir;
    std::string map_file;
    bool allow_handlers_outside_root = false;
    std::size_t max_handler_processes = 256;
    bool handler_binary = false;
    std::vector<std::string> cgi_paths;  // URL folders under the document root
    double cgi_timeout_s = 30;
    std::size_t max_cgi_processes = 32;
    std::string log_file;
    std::uint64_t log_max = 256 * 1024;  // pywebsocket's defaults
    unsigned log_count = 5;
    bool tls = false;
    std::string private_key;
    std::string certificate;
    bool tls_client_auth = false;
    bool tls_client_cert_optional = false;
    std::string tls_client_ca;
    std::vector<std::string> tls_sni;  // more certificates, CERTFILE:KEYFILE, chosen by SNI
    bool tls_no_ktls = false;
    bool basic_auth = false;
    std::string basic_auth_credential = "test:test";  // pywebsocket's default
    DeflateFlags deflate;
    PubSubFlags pubsub;
    MetricsFlags metrics;
};

/// Adds the `serve` subcommand with its options bound to `options`; returns it.
CLI::App* add_serve_command(CLI::App& app, ServeOptions& options);

/// Copies the options given in seconds into the server's limits, in milliseconds. Returns an
/// error message for options that cannot work together (TLS without a key), empty if none.
[[nodiscard]] std::string finalize_serve_options(ServeOptions& options);

/// pywebsocket's --config FILE: the [pywebsocket] section of an INI file, long option names as
/// keys, turned into arguments that go before the command line's (which therefore override
/// them). Returns false with `error` set if the file cannot be read, has a malformed line, or
/// (with `known`) names an option `known` does not know ("FILE:LINE: unknown option 'name'").
[[nodiscard]] bool config_file_arguments(
        const std::string& path, std::vector<std::string>& args, std::string& error,
        const std::function<bool(const std::string& option)>& known = nullptr);

/// Runs the server; returns the process exit status.
[[nodiscard]] int run_serve(ServeOptions options);

}  // namespace wsx::tools
