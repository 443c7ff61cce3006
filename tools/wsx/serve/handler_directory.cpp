// Handler directory; see handler_directory.hpp.
#include "serve/handler_directory.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "wsx/native_handler.hpp"

namespace wsx::tools {

std::string resource_for(const std::string& relative_path) {
    constexpr std::string_view kSuffix = "_wsh.so";
    if (relative_path.size() <= kSuffix.size()
        || relative_path.compare(relative_path.size() - kSuffix.size(), kSuffix.size(), kSuffix)
                   != 0) {
        return {};
    }
    return "/" + relative_path.substr(0, relative_path.size() - kSuffix.size());
}

HandlerScan scan_handler_directory(const std::string& dir) {
    namespace fs = std::filesystem;
    HandlerScan out;
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec);
    if (ec) {
        out.errors.push_back(dir + ": " + ec.message());
        return out;
    }
    std::vector<fs::path> files;
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) {
            out.errors.push_back(dir + ": " + ec.message());
            break;
        }
        if (it->is_regular_file(ec) && !resource_for(it->path().filename().string()).empty()) {
            files.push_back(it->path());
        }
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
        const std::string resource = resource_for(fs::relative(file, dir, ec).generic_string());
        NativeHandlerLoad loaded = NativeHandler::load(fs::absolute(file).string());
        if (!loaded.handler) {
            out.errors.push_back(file.string() + ": " + loaded.error);
            continue;
        }
        out.routes.push_back(Route{.path = resource, .handlers = loaded.handler->handlers()});
    }
    return out;
}

}  // namespace wsx::tools
