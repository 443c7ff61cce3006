#include "connect/slash_commands.hpp"

#include <array>
#include <cctype>
#include <charconv>

namespace wsx::tools {

namespace {

SlashCommand error(std::string why) {
    return {.kind = SlashCommand::Kind::error, .payload = std::move(why)};
}

SlashCommand parse_binary(std::string_view hex) {
    std::string digits;
    for (const char c : hex) {
        if (c == ' ' || c == ':') {
            continue;
        }
        if (std::isxdigit(static_cast<unsigned char>(c)) == 0) {
            return error("/binary: '" + std::string(1, c) + "' is not a hex digit");
        }
        digits.push_back(c);
    }
    if (digits.size() % 2 != 0) {
        return error("/binary: an odd number of hex digits");
    }
    std::string bytes;
    for (std::size_t i = 0; i < digits.size(); i += 2) {
        unsigned byte = 0;
        (void)std::from_chars(digits.data() + i, digits.data() + i + 2, byte, 16);
        bytes.push_back(static_cast<char>(byte));
    }
    return {.kind = SlashCommand::Kind::binary, .payload = std::move(bytes)};
}

SlashCommand parse_close(std::string_view args) {
    SlashCommand out{.kind = SlashCommand::Kind::close};
    if (args.empty()) {
        return out;
    }
    const auto space = args.find(' ');
    const std::string_view code = args.substr(0, space);
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(code.data(), code.data() + code.size(), value);
    if (ec != std::errc() || end != code.data() + code.size() || value > 65535) {
        return error("/close: '" + std::string(code) + "' is not a close code (1000, 4000-4999)");
    }
    out.code = static_cast<std::uint16_t>(value);
    if (space != std::string_view::npos) {
        out.payload = std::string(args.substr(space + 1));
    }
    return out;
}

}  // namespace

SlashCommand parse_slash(std::string_view line) {
    if (line.empty() || line.front() != '/') {
        return {.payload = std::string(line)};
    }
    if (line.size() > 1 && line[1] == '/') {
        return {.payload = std::string(line.substr(1))};
    }
    const auto space = line.find(' ');
    const std::string_view name = line.substr(0, space);
    const std::string_view args =
            space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    if (name == "/ping") {
        return {.kind = SlashCommand::Kind::ping, .payload = std::string(args)};
    }
    if (name == "/close") {
        return parse_close(args);
    }
    if (name == "/binary") {
        return parse_binary(args);
    }
    if (name == "/help") {
        return {.kind = SlashCommand::Kind::help};
    }
    return error("unknown command " + std::string(name) + "\n" + std::string(slash_help()));
}

std::string_view slash_help() {
    return "  /ping [TEXT]           send a ping (its pong is shown with the round-trip time)\n"
           "  /close [CODE [REASON]] start the closing handshake (default 1000)\n"
           "  /binary HEX            send a binary message (\"/binary 00 ff 10\")\n"
           "  //TEXT                 send \"/TEXT\" as a message\n"
           "  /help                  this list";
}

std::string escape_controls(std::string_view text) {
    static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                  '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
    std::string out;
    out.reserve(text.size());
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '\n') {
            out.append("\\n");
        } else if (c == '\r') {
            out.append("\\r");
        } else if (c == '\t') {
            out.append("\\t");
        } else if (c == 0x1b) {
            out.append("\\e");
        } else if (c < 0x20 || c == 0x7f) {
            out.append("\\x").push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        } else {
            out.push_back(ch);
        }
    }
    return out;
}

}  // namespace wsx::tools
