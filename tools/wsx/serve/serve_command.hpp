// `wsx serve`: the standalone server in the spirit of pywebsocket's standalone.py. Parses its
// options into ServeOptions (CLI11) and runs the server until SIGINT or SIGTERM, which close every
// connection with 1001 and exit 0.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "wsx/server.hpp"

namespace wsx::tools {

struct ServeOptions {
    ServerOptions server;
    std::string log_level = "info";
    double handshake_timeout_s = 10;
    double idle_timeout_s = 60;
    double closing_timeout_s = 5;
    std::vector<std::string> subprotocols;
    std::string document_root;  // empty: the bundled examples/www
    std::string handler_dir;    // empty: the bundled handlers
    bool basic_auth = false;
    std::string basic_auth_credential = "test:test";  // pywebsocket's default
};

/// Adds the `serve` subcommand with its options bound to `options`; returns it.
CLI::App* add_serve_command(CLI::App& app, ServeOptions& options);

/// Copies the options given in seconds into the server's limits, in milliseconds.
void finalize_serve_options(ServeOptions& options);

/// Runs the server; returns the process exit status.
[[nodiscard]] int run_serve(ServeOptions options);

}  // namespace wsx::tools
