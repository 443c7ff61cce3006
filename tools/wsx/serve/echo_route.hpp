// The built-in echo resource, behaving like pywebsocket's example/echo_wsh.py: every message comes
// back as it arrived (text as text, binary as binary); after echoing the text message "Goodbye"
// the server starts the closing handshake (1000) and waits for the client's reply. Of the
// subprotocols the client offers, it accepts the first one that is in `subprotocols` (none if
// the lists share nothing, as RFC 6455 §4.2.2 allows).
#pragma once

#include <string>
#include <vector>

#include "wsx/route.hpp"

namespace wsx::tools {

inline constexpr std::string_view kGoodbyeMessage = "Goodbye";

[[nodiscard]] Route make_echo_route(std::string path, std::vector<std::string> subprotocols = {});

}  // namespace wsx::tools
