// /stats.html, compiled in from serve/stats.html (stats_page.cpp.in), so `wsx serve --metrics`
// serves it whatever the document root.
#pragma once

#include <string_view>

namespace wsx::tools {

[[nodiscard]] std::string_view stats_page() noexcept;

}  // namespace wsx::tools
