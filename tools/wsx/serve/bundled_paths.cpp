#include "serve/bundled_paths.hpp"

#include <filesystem>
#include <system_error>

namespace wsx::tools {

std::string bundled_dir(std::string_view name) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) {
        return {};
    }
    const fs::path dir = exe.parent_path();
    for (const fs::path& share : {dir.parent_path() / "share" / "wsx", dir / "share" / "wsx"}) {
        const fs::path candidate = share / name;
        if (fs::is_directory(candidate, ec)) {
            return candidate.lexically_normal().string();
        }
    }
    return {};
}

}  // namespace wsx::tools
