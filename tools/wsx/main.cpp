// The `wsx` command: subcommands parse their options and hand over to their run function.
#include <CLI/CLI.hpp>

#include "serve/serve_command.hpp"

int main(int argc, char** argv) {
    CLI::App app{"wsx: WebSocket server, client and tools"};
    app.require_subcommand(1);
    wsx::tools::ServeOptions serve_options;
    CLI::App* serve = wsx::tools::add_serve_command(app, serve_options);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int status = app.exit(e);
        return status == 0 ? 0 : 2;  // usage errors exit 2, like pywebsocket's optparse
    }
    if (serve->parsed()) {
        wsx::tools::finalize_serve_options(serve_options);
        return wsx::tools::run_serve(serve_options);
    }
    return 2;
}
