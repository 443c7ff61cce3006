// The `wsx` command: subcommands parse their options and hand over to their run function.
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "bench/bench_command.hpp"
#include "connect/connect_command.hpp"
#include "serve/serve_command.hpp"

namespace {

// pywebsocket's --config FILE: its [pywebsocket] settings go right after "serve", before the
// command line's own arguments, so the command line overrides them.
bool expand_config(std::vector<std::string>& args, const CLI::App& serve_app) {
    for (std::size_t i = 1; i < args.size(); ++i) {
        std::string path;
        std::size_t taken = 0;
        if (args[i] == "--config" && i + 1 < args.size()) {
            path = args[i + 1];
            taken = 2;
        } else if (args[i].rfind("--config=", 0) == 0) {
            path = args[i].substr(9);
            taken = 1;
        } else {
            continue;
        }
        std::vector<std::string> from_file;
        std::string error;
        auto known = [&serve_app](const std::string& option) {
            return option != "--config" && serve_app.get_option_no_throw(option) != nullptr;
        };
        if (!wsx::tools::config_file_arguments(path, from_file, error, known)) {
            std::cerr << "wsx serve: " << error << "\n";
            return false;
        }
        const auto at = static_cast<std::ptrdiff_t>(i);
        args.erase(args.begin() + at, args.begin() + at + static_cast<std::ptrdiff_t>(taken));
        const auto serve = std::find(args.begin(), args.end(), "serve");
        args.insert(serve == args.end() ? args.end() : serve + 1, from_file.begin(),
                    from_file.end());
        return true;
    }
    return true;
}

// A large message's buffers (the reader's, an output block) are allocated and freed once per
// message. By default glibc serves each from a fresh mmap, or gives it back from the arena's top
// when freed, so every such message faults its pages in anew: 98 page faults per 1 MiB message
// echoed, and half as much CPU again (docs/performance.md). Kept in the arenas, they are reused;
// the price is up to the trim threshold of free memory kept per arena after a burst.
void keep_large_buffers() {
#ifdef __GLIBC__
    (void)mallopt(M_MMAP_THRESHOLD, 4 << 20);  // blocks past 4 MiB still come from mmap
    (void)mallopt(M_TRIM_THRESHOLD, 32 << 20);
#endif
}

}  // namespace

// An exception reaching here is a bug (CLI11 option set-up, allocation failure): std::terminate,
// with its message, is the wanted end.
// NOLINTNEXTLINE(bugprone-exception-escape)
int main(int argc, char** argv) {
    keep_large_buffers();
    CLI::App app{"wsx: WebSocket server, client and tools", "wsx"};
    app.set_version_flag("--version", std::string("wsx ") + WSX_VERSION);
    app.require_subcommand(0, 1);
    CLI::App* help = app.add_subcommand("help", "Print this list of subcommands");
    wsx::tools::ServeOptions serve_options;
    CLI::App* serve = wsx::tools::add_serve_command(app, serve_options);
    serve->add_option(
            "--config",
            "INI file whose [pywebsocket] section sets long options (names as keys); the command "
            "line overrides it");
    wsx::tools::ConnectOptions connect_options;
    CLI::App* connect = wsx::tools::add_connect_command(app, connect_options);
    wsx::tools::BenchOptions bench_options;
    CLI::App* bench = wsx::tools::add_bench_command(app, bench_options);
    std::vector<std::string> args(argv, argv + argc);
    if (!expand_config(args, *serve)) {
        return 2;
    }
    std::vector<std::string> reversed(args.rbegin(), args.rend() - 1);  // CLI11's order, no argv[0]
    try {
        app.parse(reversed);
    } catch (const CLI::ParseError& e) {
        const int status = app.exit(e);
        return status == 0 ? 0 : 2;  // usage errors exit 2, like pywebsocket's optparse
    }
    if (serve->parsed()) {
        const std::string refused = wsx::tools::finalize_serve_options(serve_options);
        if (!refused.empty()) {
            std::cerr << "wsx serve: " << refused << "\n";
            return 2;
        }
        return wsx::tools::run_serve(serve_options);
    }
    if (connect->parsed()) {
        return wsx::tools::run_connect(connect_options);
    }
    if (bench->parsed()) {
        return wsx::tools::run_bench(bench_options);
    }
    // `wsx help` and a bare `wsx`: the subcommands, on stdout for help, as a usage error otherwise.
    (help->parsed() ? std::cout : std::cerr)
            << app.get_formatter()->make_help(&app, "wsx", CLI::AppFormatMode::Normal);
    return help->parsed() ? 0 : 2;
}
