// Handler directory; see handler_directory.hpp.
#include "serve/handler_directory.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <unistd.h>

#include "wsx/executable_handler.hpp"
#include "wsx/native_handler.hpp"
#include "wsx/python_handler.hpp"

#include "serve/bundled_paths.hpp"

namespace wsx::tools {

std::string resource_for(const std::string& relative_path) {
    const auto slash = relative_path.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : relative_path.substr(0, slash + 1);
    const std::string name = relative_path.substr(slash == std::string::npos ? 0 : slash + 1);
    const auto dot = name.find('.');
    const std::string stem = name.substr(0, dot);
    constexpr std::string_view kMark = "_wsh";
    if (stem.size() <= kMark.size()
        || stem.compare(stem.size() - kMark.size(), kMark.size(), kMark) != 0) {
        return {};
    }
    return "/" + dir + stem.substr(0, stem.size() - kMark.size());
}

namespace {

// The Python host and its pywebsocket package: $WSX_PYTHON_DIR, else the bundled python/.
std::string python_host_script() {
    const char* dir = std::getenv("WSX_PYTHON_DIR");
    return (dir != nullptr && *dir != '\0' ? std::string(dir) : bundled_dir("python"))
           + "/wsx_pyhost.py";
}

bool is_under(const std::filesystem::path& path, const std::filesystem::path& root) {
    const auto rel = path.lexically_relative(root);
    return !rel.empty() && *rel.begin() != "..";
}

// The route for one handler file, by kind: pywebsocket module, native, or executable.
void add_handler(const std::filesystem::path& file, const std::string& resource,
                 const HandlerScanOptions& options, HandlerScan& out) {
    namespace fs = std::filesystem;
    if (is_pywebsocket_module(file.string())) {
        // Executable or not: a module of pywebsocket functions, run by the Python host.
        out.routes.push_back(
                Route{.path = resource,
                      .handlers = make_python_handlers({.path = fs::absolute(file).string(),
                                                        .host_script = python_host_script()}),
                      .keep_request = false});  // the host is sent it with the upgrade
        ++out.python_modules;
        return;
    }
    if (file.extension() != ".so") {
        if (::access(file.c_str(), X_OK) != 0) {
            // Neither a module nor executable: said by path, so a missing chmod +x is found.
            out.skipped.push_back(file.string()
                                  + ": not executable, not a pywebsocket module (no top-level "
                                    "web_socket_transfer_data), not a .so: skipped");
            return;
        }
        out.routes.push_back(
                Route{.path = resource,
                      .handlers = make_executable_handlers({.path = fs::absolute(file).string(),
                                                            .max_processes = options.max_processes,
                                                            .binary_mode = options.binary_mode}),
                      .keep_request = false});  // its environment is made in on_open
        return;
    }
    NativeHandlerLoad loaded = NativeHandler::load(file.string());
    if (!loaded.handler) {
        out.errors.push_back(file.string() + ": " + loaded.error);
        return;
    }
    out.routes.push_back(Route{.path = resource,
                               .handlers = loaded.handler->handlers(),
                               .keep_request = loaded.handler->keeps_request()});
}

}  // namespace

HandlerScan scan_handler_directory(const HandlerScanOptions& options) {
    namespace fs = std::filesystem;
    HandlerScan out;
    if (options.dir.empty()) {  // no -w, and no bundled handlers next to the executable
        out.errors.emplace_back(
                "(bundled): no share/wsx/handlers beside or above the wsx "
                "executable; give -w DIR");
        return out;
    }
    std::error_code ec;
    const fs::path root = fs::weakly_canonical(options.dir, ec);
    const fs::path scan =
            options.scan_dir.empty() ? root : fs::weakly_canonical(options.scan_dir, ec);
    if (!is_under(scan, root) && scan != root) {
        out.errors.push_back(options.scan_dir
                             + ": the scan directory must be inside the handler directory "
                             + options.dir);
        return out;
    }
    fs::recursive_directory_iterator it(scan, fs::directory_options::follow_directory_symlink, ec);
    if (ec) {
        out.errors.push_back(scan.string() + ": " + ec.message());
        return out;
    }
    std::vector<fs::path> files;
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) {
            out.errors.push_back(scan.string() + ": " + ec.message());
            break;
        }
        if (it->is_regular_file(ec) && !resource_for(it->path().filename().string()).empty()) {
            files.push_back(it->path());
        }
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
        const fs::path real = fs::canonical(file, ec);
        if (!options.allow_outside_root && (ec || !is_under(real, root))) {
            out.errors.push_back(
                    file.string() + ": its real path " + real.string()
                    + " is outside the handler directory (--allow-handlers-outside-root-dir)");
            continue;
        }
        const std::string resource = resource_for(file.lexically_relative(root).generic_string());
        add_handler(file, resource, options, out);
    }
    return out;
}

void add_aliases(const std::string& map_file, HandlerScan& out) {
    std::ifstream in(map_file);
    if (!in) {
        out.errors.push_back(map_file + ": cannot read the handler map file");
        return;
    }
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        line = line.substr(0, line.find('#'));
        std::istringstream fields(line);
        std::string alias;
        std::string existing;
        std::string extra;
        if (!(fields >> alias)) {
            continue;
        }
        const auto where = map_file + ":" + std::to_string(number) + ": ";
        if (!(fields >> existing) || (fields >> extra) || alias.front() != '/') {
            out.errors.push_back(where + "expected '/alias /existing'");
            continue;
        }
        auto it = std::find_if(out.routes.begin(), out.routes.end(),
                               [&](const Route& r) { return r.path == existing; });
        if (it == out.routes.end()) {
            out.errors.push_back(std::string(where).append("no handler serves ").append(existing));
            continue;
        }
        out.routes.push_back(
                Route{.path = alias, .handlers = it->handlers, .keep_request = it->keep_request});
    }
}

}  // namespace wsx::tools
