// The handler directory (`wsx serve -w DIR`), mapped as pywebsocket maps its *_wsh.py files: a
// native handler DIR/a/b_wsh.so serves the resource /a/b. A file that fails to load is reported by
// path with the reason and skipped; the others still serve.
#pragma once

#include <string>
#include <vector>

#include "wsx/route.hpp"

namespace wsx::tools {

struct HandlerScan {
    std::vector<Route> routes;        // sorted by path
    std::vector<std::string> errors;  // "PATH: reason", one per file that did not load
};

/// The resource a handler file serves, relative to the directory: "a/b_wsh.so" -> "/a/b"; empty
/// if the name does not end in "_wsh.so".
[[nodiscard]] std::string resource_for(const std::string& relative_path);

/// Loads every *_wsh.so below `dir`.
[[nodiscard]] HandlerScan scan_handler_directory(const std::string& dir);

}  // namespace wsx::tools
