// Where `wsx serve` finds what it bundles (the examples page, the handler directory, the Python
// host), relative to the executable, so an installed or moved wsx still finds them: first
// EXE_DIR/../share/wsx/NAME (installed: /usr/bin/wsx and /usr/share/wsx), then
// EXE_DIR/share/wsx/NAME (the build tree, where CMake links them in). No compiled-in path.
#pragma once

#include <string>
#include <string_view>

namespace wsx::tools {

/// The bundled folder `name` ("www", "handlers", "python"); empty if neither place has it.
[[nodiscard]] std::string bundled_dir(std::string_view name);

}  // namespace wsx::tools
