// The messages `wsx bench` sends and how it checks their echoes, byte for byte, without keeping
// copies: message n of a connection is a fixed pattern whose first (up to 16) bytes are n in hex,
// so the echo expected next is rebuilt from the count of echoes received (an echo server keeps
// the order of one connection's messages). Text payloads are ASCII (valid UTF-8); binary ones
// cycle through every byte value. Rule: no allocation after construction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wsx::tools {

class Payload {
public:
    Payload(std::size_t size, bool text);

    /// Message `n`: a view of an internal buffer, valid until the next call.
    [[nodiscard]] std::string_view message(std::uint64_t n) noexcept;

    /// Whether `data` is exactly message `n`.
    [[nodiscard]] bool matches(std::uint64_t n, std::string_view data) const noexcept;

    [[nodiscard]] std::size_t size() const noexcept { return pattern_.size(); }

private:
    static constexpr std::size_t kStampSize = 16;

    /// Writes the stamp of `n` (hex, the last digits when the payload is shorter) to `out`.
    void stamp(std::uint64_t n, char* out) const noexcept;

    [[nodiscard]] std::size_t stamp_size() const noexcept;

    std::string pattern_;  // the payload with stamp 0
    std::string scratch_;  // message() builds here
};

}  // namespace wsx::tools
