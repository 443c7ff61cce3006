// `wsx connect`'s interactive helpers: slash commands typed instead of a message (/ping, /close,
// /binary; "//" sends a line starting with "/"), and received text made safe for a terminal
// (control bytes shown escaped, so a message cannot move the cursor or change colours).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wsx::tools {

struct SlashCommand {
    enum class Kind { message, ping, close, binary, help, error };
    Kind kind = Kind::message;
    std::string payload;        // the message, the ping payload, the binary bytes, or the error
    std::uint16_t code = 1000;  // /close
};

/// What a typed line asks for: "/ping [TEXT]", "/close [CODE [REASON]]", "/binary HEX",
/// "/help"; "//x" is the message "/x"; any other line is a message as typed.
[[nodiscard]] SlashCommand parse_slash(std::string_view line);

/// The list of slash commands, for /help and unknown ones.
[[nodiscard]] std::string_view slash_help();

/// `text` with bytes below 0x20 and 0x7f escaped (\n, \r, \t, \e, \xNN).
[[nodiscard]] std::string escape_controls(std::string_view text);

}  // namespace wsx::tools
