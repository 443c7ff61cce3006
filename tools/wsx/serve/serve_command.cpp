// `wsx serve`; see serve_command.hpp. Thin: options in, a wsx::Server out.
#include "serve/serve_command.hpp"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>

#include <sys/resource.h>

#include "wsx/cgi.hpp"
#include "wsx/net/log.hpp"
#include "wsx/server_group.hpp"
#include "wsx/static_files.hpp"

#include "serve/bundled_paths.hpp"
#include "serve/echo_route.hpp"
#include "serve/handler_directory.hpp"
#include "serve/serve_tls.hpp"

namespace wsx::tools {
namespace {

net::TimeMs to_ms(double seconds) {
    return static_cast<net::TimeMs>(std::llround(seconds * 1000.0));
}

// Each connection is a descriptor: lift the soft limit to the hard one, as servers that hold many
// connections do, and say what the limit means for --max-connections.
void raise_descriptor_limit(std::size_t max_connections) {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
        return;
    }
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &lim);
        (void)getrlimit(RLIMIT_NOFILE, &lim);
    }
    if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < max_connections + 64) {
        net::log_warn("descriptor limit ", lim.rlim_cur, " is below --max-connections ",
                      max_connections, " (+64 spare): raise it with ulimit -n");
    }
}

// pywebsocket: a relative handler directory is relative to the document root.
std::string handler_directory(const ServeOptions& o) {
    if (o.handler_dir.empty()) {
        return bundled_dir("handlers");
    }
    const std::filesystem::path dir(o.handler_dir);
    if (dir.is_relative() && !o.document_root.empty()) {
        return (std::filesystem::path(o.document_root) / dir).string();
    }
    return o.handler_dir;
}

// The routes of the handler directory, and whether any is a pywebsocket module.
struct LoadedRoutes {
    std::vector<Route> routes;
    bool python = false;
};

LoadedRoutes load_routes(const ServeOptions& o) {
    const std::string dir = handler_directory(o);
    HandlerScan scan = scan_handler_directory({.dir = dir,
                                               .scan_dir = o.scan_dir,
                                               .allow_outside_root = o.allow_handlers_outside_root,
                                               .max_processes = o.max_handler_processes,
                                               .binary_mode = o.handler_binary});
    for (const auto& error : scan.errors) {
        net::log_error("handler ", error);
    }
    for (const auto& skipped : scan.skipped) {
        net::log_warn("handler directory: ", skipped);
    }
    bool has_echo = false;
    for (const auto& route : scan.routes) {
        net::log_info("handler ", route.path, " from ", dir);
        has_echo = has_echo || route.path == "/echo";
    }
    if (!has_echo) {
        scan.routes.push_back(make_echo_route("/echo"));
        net::log_info("handler /echo built in");
    }
    add_pubsub_route(scan.routes, o.pubsub);
    add_metrics_routes(scan.routes, o.metrics);
    if (!o.map_file.empty()) {
        const std::size_t before = scan.routes.size();
        scan.errors.clear();
        add_aliases(o.map_file, scan);
        for (const auto& error : scan.errors) {
            net::log_error("handler map ", error);
        }
        for (std::size_t i = before; i < scan.routes.size(); ++i) {
            net::log_info("handler ", scan.routes[i].path, " is an alias (", o.map_file, ")");
        }
    }
    return {.routes = std::move(scan.routes), .python = scan.python_modules > 0};
}

// --threads, or by default one loop per core, except with pywebsocket modules: one loop, so all
// of a module's connections share its state as in pywebsocket (a host per loop thread otherwise).
unsigned loop_threads(const ServeOptions& o, bool python) {
    if (o.threads) {
        if (python && *o.threads != 1) {
            net::log_warn("--threads ", *o.threads,
                          ": each loop thread runs its own Python host "
                          "per pywebsocket module, so module state is shared within a loop only");
        }
        return *o.threads;
    }
    if (python) {
        net::log_info(
                "pywebsocket modules: one loop thread, so every connection shares a "
                "module's state as in pywebsocket (--threads N runs N hosts per module)");
        return 1;
    }
    return 0;
}

// Port, address, and the limits every connection has.
void add_connection_options(CLI::App* serve, ServeOptions& o) {
    serve->add_option_function<long>(
                 "-p,--port", [&o](long port) { o.server.port = static_cast<std::uint16_t>(port); },
                 "TCP port to listen on (default 9998; pywebsocket's default is 80; 0 picks a "
                 "free port)")
            ->check(CLI::Range(0L, 65535L, "a port, 0-65535"));
    serve->add_option("-H,--server-host", o.server.host,
                      "Address to listen on (default: every address, IPv4 and IPv6)");
    serve->add_option("--max-message-size", o.server.limits.max_message_size,
                      "Largest message accepted, in bytes, across fragments (then close 1009); "
                      "suffixes KiB/MiB accepted")
            ->transform(CLI::AsSizeValue(false))
            ->capture_default_str();
    serve->add_option("--handshake-timeout", o.handshake_timeout_s,
                      "Seconds to complete the opening handshake")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
    serve->add_option(
                 "--idle-timeout", o.idle_timeout_s,
                 "Seconds without receiving anything before closing (1001); a keepalive ping goes "
                 "out after half of it; 0 disables")
            ->check(CLI::NonNegativeNumber)
            ->capture_default_str();
    serve->add_option("--closing-timeout", o.closing_timeout_s,
                      "Seconds to wait for the peer's close frame and TCP close")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
    serve->add_option("--max-connections", o.server.max_connections,
                      "Connections at once (every loop thread together); past it upgrade "
                      "requests get 503")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
    serve->add_option("--threads", o.threads,
                      "Event loop threads, each with its own connections on the shared port "
                      "(SO_REUSEPORT); 0: one per core. Default: one per core, or one when the "
                      "handler directory has pywebsocket modules (their state is per loop)")
            ->check(CLI::Range(0U, ServerGroup::kMaxThreads));
}

// Where WebSocket resources come from (the handler directory) and who may open them.
void add_handler_options(CLI::App* serve, ServeOptions& o) {
    serve->add_option(
            "-w,--websock-handlers", o.handler_dir,
            "Handler directory: DIR/a/b_wsh.so serves /a/b; a relative path resolves against "
            "--document-root; default: the bundled handlers (/echo, /chat, /protocol)");
    serve->add_option(
            "-d,--document-root", o.document_root,
            "Folder served over HTTP on the same port (GET, HEAD, index.html, ETag/Last-Modified); "
            "default: the bundled examples page");
    serve->add_option(
            "--subprotocol", o.subprotocols,
            "Subprotocol accepted (repeatable) by resources whose handler does not choose one: of "
            "those the client offers, the first one listed here");
    serve->add_option("-s,--scan-dir", o.scan_dir,
                      "Only handlers below this directory (inside --websock-handlers) are loaded");
    serve->add_option("-m,--websock-handlers-map-file", o.map_file,
                      "File of 'alias existing' resource pairs, one per line: the alias serves the "
                      "same handler");
    serve->add_flag("--allow-handlers-outside-root-dir", o.allow_handlers_outside_root,
                    "Load handlers whose real path (after symlinks) is outside --websock-handlers");
    serve->add_option("--max-handler-processes", o.max_handler_processes,
                      "Processes at once per executable handler; past it upgrade requests get 503")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
    serve->add_option(
            "--origin", o.origins,
            "Origin allowed to open WebSockets (repeatable, exact, e.g. http://localhost:9998); "
            "others get 403; default: any");
    serve->add_flag(
            "--handler-binary", o.handler_binary,
            "Executable handlers exchange length-prefixed frames (type byte 1 text / 2 binary, "
            "4-byte big-endian length, payload) instead of lines");
}

// CGI/1.1 scripts under the document root.
void add_cgi_options(CLI::App* serve, ServeOptions& o) {
    serve->add_option(
                 "-x,--cgi-paths", o.cgi_paths,
                 "Folders of the document root whose executables run as CGI/1.1 scripts, "
                 "comma-separated URL paths (e.g. -x /cgi-bin,/htbin); the request body goes to "
                 "the script's stdin, its output is the response")
            ->delimiter(',');
    serve->add_option("--cgi-timeout", o.cgi_timeout_s,
                      "Seconds a CGI script may go without output before it is ended (504, or its "
                      "body cut short)")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
    serve->add_option("--max-cgi-processes", o.max_cgi_processes,
                      "CGI scripts running at once; past it requests get 503")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
    serve->add_option("--max-request-body", o.server.limits.max_request_body,
                      "Largest HTTP request body read (for CGI), in bytes; past it 413; suffixes "
                      "KiB/MiB accepted")
            ->transform(CLI::AsSizeValue(false))
            ->capture_default_str();
}

// Log file and its rotation.
void add_log_file_options(CLI::App* serve, ServeOptions& o) {
    serve->add_option("-l,--log-file", o.log_file,
                      "Write log lines to this file instead of stderr");
    serve->add_option("--log-max", o.log_max, "Rotate the log file when it reaches this many bytes")
            ->capture_default_str();
    serve->add_option("--log-count", o.log_count, "Rotated log files to keep")
            ->capture_default_str();
}

// TLS and HTTP Basic authentication.
void add_security_options(CLI::App* serve, ServeOptions& o) {
    CLI::Option* tls = serve->add_flag("-t,--tls", o.tls, "TLS (https:// and wss://)");
    serve->add_option("-k,--private-key", o.private_key, "TLS private key file (with --tls)")
            ->needs(tls);
    serve->add_option("-c,--certificate", o.certificate, "TLS certificate file (with --tls)")
            ->needs(tls);
    CLI::Option* client_auth = serve->add_flag("--tls-client-auth", o.tls_client_auth,
                                               "Require TLS client certificates (with --tls)")
                                       ->needs(tls);
    serve->add_flag("--tls-client-cert-optional", o.tls_client_cert_optional,
                    "Accept clients without a certificate (with --tls-client-auth)")
            ->needs(client_auth);
    serve->add_option("--tls-client-ca", o.tls_client_ca,
                      "CA file for client certificates (with --tls-client-auth)")
            ->needs(client_auth);
    serve->add_option("--tls-sni", o.tls_sni,
                      "CERTFILE:KEYFILE of another certificate, presented when the client's SNI "
                      "name matches it (repeatable, with --tls)")
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
            ->needs(tls);
    serve->add_flag("--tls-no-ktls", o.tls_no_ktls, "Do not ask for kernel TLS (with --tls)")
            ->needs(tls);
    serve->add_flag(
            "--basic-auth", o.basic_auth,
            "Require HTTP Basic authentication (401 otherwise) for pages and WebSocket resources");
    serve->add_option("--basic-auth-credential", o.basic_auth_credential,
                      "user:password for --basic-auth")
            ->capture_default_str();
}

}  // namespace

CLI::App* add_serve_command(CLI::App& app, ServeOptions& o) {
    CLI::App* serve = app.add_subcommand("serve", "Run the standalone WebSocket server");
    // Options given twice (config file, then command line) take the last value.
    serve->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    // In this order in --help.
    add_connection_options(serve, o);
    add_handler_options(serve, o);
    add_cgi_options(serve, o);
    add_log_file_options(serve, o);
    serve->add_option("-q,--queue", o.server.backlog, "Listen queue length (backlog)")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
    add_security_options(serve, o);
    add_deflate_options(serve, o.server, o.deflate);
    add_pubsub_options(serve, o.pubsub);
    add_metrics_options(serve, o.metrics);
    serve->add_option("--log-level", o.log_level, "debug, info, warn, error or off")
            ->check(CLI::IsMember({"debug", "info", "warn", "warning", "error", "critical", "off"}))
            ->capture_default_str();
    return serve;
}

std::string finalize_serve_options(ServeOptions& o) {
    o.server.limits.handshake_timeout_ms = to_ms(o.handshake_timeout_s);
    o.server.limits.idle_timeout_ms = to_ms(o.idle_timeout_s);
    o.server.limits.closing_timeout_ms = to_ms(o.closing_timeout_s);
    if (auto error = finalize_deflate_options(o.server, o.deflate); !error.empty()) {
        return error;
    }
    return check_tls_options(o);
}

namespace {

// --log-level and --log-file; false (after logging why) if the log file cannot be opened.
bool configure_logging(const ServeOptions& options) {
    net::LogLevel level = net::LogLevel::info;
    if (net::parse_log_level(options.log_level, level)) {
        net::set_log_level(level);
    }
    if (!options.log_file.empty()) {
        if (auto ec = net::set_log_file(options.log_file, options.log_max, options.log_count)) {
            net::log_error("log file ", options.log_file, ": ", ec.message());
            return false;
        }
    }
    return true;
}

// A CGI path that names no folder of the document root is only a warning.
void log_cgi_paths(const std::vector<std::string>& cgi_paths, const std::string& root) {
    for (const auto& p : cgi_paths) {
        std::string relative = p;
        relative.erase(0, relative.find_first_not_of('/'));  // all of it for "/"
        const auto folder = std::filesystem::path(root) / relative;
        std::error_code ec;
        if (!std::filesystem::is_directory(folder, ec)) {
            net::log_warn("CGI path ", p, ": ", folder.string(), " is not a folder");
        }
        net::log_info("CGI scripts under ", p);
    }
}

// Sets options.server.on_http: the document root's files, and the CGI scripts under the CGI
// paths. False (after logging why) if the document root cannot be opened.
bool serve_documents(ServeOptions& options) {
    const std::string root =
            options.document_root.empty() ? bundled_dir("www") : options.document_root;
    if (root.empty()) {
        net::log_error(
                "no bundled document root (share/wsx/www beside or above the wsx "
                "executable): give -d DIR");
        return false;
    }
    auto files = StaticFiles::open(root);
    if (!files) {
        net::log_error("document root ", root, ": ", files.error().message());
        return false;
    }
    net::log_info("serving documents from ", files->root());
    if (options.cgi_paths.empty()) {
        options.server.on_http = [files = std::move(*files)](const proto::HttpRequest& request,
                                                             Connection&) {
            return files.serve(request);
        };
        return true;
    }
    log_cgi_paths(options.cgi_paths, files->root());
    CgiScripts cgi({.document_root = files->root(),
                    .paths = options.cgi_paths,
                    .timeout_ms = to_ms(options.cgi_timeout_s),
                    .max_processes = options.max_cgi_processes,
                    .head_limits = options.server.limits});
    options.server.on_http = [files = std::move(*files), cgi](const proto::HttpRequest& request,
                                                              Connection& c) {
        return cgi.handles(request) ? cgi.serve(request, c) : files.serve(request);
    };
    return true;
}

// The control loop, on the main thread, takes the signals. SIGHUP reloads the TLS certificates and
// rescans the handler directory for every loop (open connections keep the certificate and the
// handler they were opened with); SIGINT and SIGTERM close every loop's connections with 1001,
// then stop the loops and the control loop; a second one stops them at once. `group` and
// `options` must outlive the control loop's run.
std::error_code handle_signals(net::Loop& control, ServerGroup& group, const ServeOptions& options,
                               std::shared_ptr<net::TlsServer> tls) {
    auto on_signal = [&control, &group, &options, tls = std::move(tls),
                      stopping = false](int signo) mutable {
        if (signo == SIGHUP) {
            if (tls) {
                reload_tls(*tls);  // connections keep the certificate they were opened with
            }
            LoadedRoutes loaded = load_routes(options);
            if (loaded.python && group.size() > 1) {
                net::log_warn("pywebsocket modules on ", group.size(),
                              " loop threads: module "
                              "state is shared within a loop only (restart to run one loop)");
            }
            group.set_routes(std::move(loaded.routes));
            net::log_info("SIGHUP: handler directory rescanned; ", group.connection_count(),
                          " connections kept");
            return;
        }
        auto stop_all = [&control, &group] {  // thread-safe, run on a loop thread
            group.stop();
            control.stop();
        };
        if (stopping) {
            net::log_warn("second signal: exiting now");
            stop_all();
            return;
        }
        stopping = true;
        net::log_info(signo == SIGINT ? "SIGINT" : "SIGTERM", ": closing ",
                      group.connection_count(), " connections with 1001");
        group.shutdown(1001, stop_all);
    };
    return control.on_signals({SIGINT, SIGTERM, SIGHUP}, on_signal);
}

// The server's options from the command's (the document root, the handler directory's
// existence, Redis); false, logged, when one of them cannot work.
bool configure_server(ServeOptions& options) {
    options.server.subprotocols = options.subprotocols;
    options.server.allowed_origins = options.origins;
    if (options.basic_auth) {
        options.server.basic_auth_credential = options.basic_auth_credential;
    }
    if (!serve_documents(options)) {
        return false;
    }
    if (std::error_code ec; !options.handler_dir.empty()
                            && !std::filesystem::is_directory(handler_directory(options), ec)) {
        net::log_error("handler directory ", handler_directory(options), ": no such folder (-w)");
        return false;
    }
    return add_redis_broker(options.server, options.pubsub);
}

void log_stopped(const ServerGroup& group, const ServerOptions& server) {
    std::string spread;  // how evenly SO_REUSEPORT spread the connections
    for (const ServerStats& s : group.loop_stats()) {
        spread += (spread.empty() ? "" : ", ") + std::to_string(s.accepted);
    }
    net::log_info("stopped; connections accepted per loop thread: ", spread);
    log_redis_figures(server);
}

}  // namespace

int run_serve(ServeOptions options) {
    if (!configure_logging(options)) {
        return 1;
    }
    raise_descriptor_limit(options.server.max_connections);
    auto control = net::Loop::create();
    if (!control) {
        net::log_error("cannot create the event loop: ", control.error().message());
        return 1;
    }
    bool tls_failed = false;
    auto tls = configure_tls(options, tls_failed);
    if (tls_failed || !configure_server(options)) {
        return 1;
    }
    ServeMetrics metrics(options.metrics, options.server);
    options.server.on_http = metrics.wrap(std::move(options.server.on_http));
    LoadedRoutes loaded = load_routes(options);
    const unsigned threads = loop_threads(options, loaded.python);
    auto group = ServerGroup::create(options.server, std::move(loaded.routes), threads);
    // The servers have their own copies; this one (with the CGI scripts' state) would outlive them.
    options.server.on_http = nullptr;
    if (!group) {
        net::log_error("cannot listen on port ", options.server.port, ": ",
                       group.error().message());
        return 1;
    }
    metrics.attach(**group, **control);
    net::log_info(describe_deflate(options.server), "; ", (*group)->size(), " loop threads");
    for (const auto& addr : (*group)->listening_addresses()) {
        net::log_info("listening on ", addr);
    }
    if (auto ec = handle_signals(**control, **group, options, std::move(tls))) {
        net::log_error("signalfd: ", ec.message());
        return 1;
    }
    (*group)->start();  // after handle_signals: the loop threads inherit the blocked signals
    (**control).run();
    (*group)->stop();
    (*group)->wait();
    log_stopped(**group, options.server);
    return 0;
}

}  // namespace wsx::tools
