// The handler directory (`wsx serve -w DIR`), mapped as pywebsocket maps its *_wsh.py files: a
// native handler DIR/a/b_wsh.so, a pywebsocket module DIR/a/b_wsh.py (one that defines
// web_socket_transfer_data at top level, executable or not: run by a Python host process), or an
// executable file DIR/a/b_wsh (any extension: b_wsh.py, b_wsh.sh) run one process per connection,
// serves the resource /a/b. A file that fails to load is
// reported by path with the reason and skipped; the others still serve.
#pragma once

#include <string>
#include <vector>

#include "wsx/route.hpp"

namespace wsx::tools {

struct HandlerScan {
    std::vector<Route> routes;         // sorted by path
    std::vector<std::string> errors;   // "PATH: reason", one per file that did not load
    std::vector<std::string> skipped;  // "PATH: why", *_wsh* files that are no kind of handler
    std::size_t python_modules = 0;    // pywebsocket modules among the routes
};

/// The resource a handler file serves, relative to the directory: "a/b_wsh.so" and
/// "a/b_wsh.py" -> "/a/b"; empty if the file name has no "_wsh" right before its extension.
[[nodiscard]] std::string resource_for(const std::string& relative_path);

struct HandlerScanOptions {
    std::string dir;       // the handler directory (-w)
    std::string scan_dir;  // only handlers below this one are loaded (-s); empty: all of dir
    bool allow_outside_root = false;  // load handlers whose real path leaves dir (symlinks)
    std::size_t max_processes = 256;  // per executable handler
    bool binary_mode = false;         // executable handlers speak length-prefixed frames
    std::string map_file;             // "alias existing" lines (-m); empty: none
};

/// Loads every *_wsh.so below the scan directory, mapped relative to the handler directory.
[[nodiscard]] HandlerScan scan_handler_directory(const HandlerScanOptions& options);

/// pywebsocket's -m file: each "alias_resource existing_resource" line ('#' starts a comment)
/// adds a route serving the existing resource's handler; problems go to scan.errors.
void add_aliases(const std::string& map_file, HandlerScan& scan);

}  // namespace wsx::tools
