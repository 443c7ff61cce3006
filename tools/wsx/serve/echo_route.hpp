// The built-in echo resource, behaving like pywebsocket's example/echo_wsh.py: every message comes
// back as it arrived (text as text, binary as binary); after echoing the text message "Goodbye"
// the server starts the closing handshake (1000) and waits for the client's reply. Used when the
// handler directory has no /echo.
#pragma once

#include <string>

#include "wsx/route.hpp"

namespace wsx::tools {

inline constexpr std::string_view kGoodbyeMessage = "Goodbye";

[[nodiscard]] Route make_echo_route(std::string path);

}  // namespace wsx::tools
