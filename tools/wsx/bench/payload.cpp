#include "bench/payload.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace wsx::tools {

Payload::Payload(std::size_t size, bool text) : pattern_(size, '\0'), scratch_(size, '\0') {
    for (std::size_t i = 0; i < size; ++i) {
        // Text: letters and digits; binary: every byte value, in an order no echo bug keeps.
        pattern_[i] = text ? static_cast<char>('0' + (i * 7) % 75)
                           : static_cast<char>(static_cast<unsigned char>((i * 131 + 7) & 0xff));
    }
    stamp(0, pattern_.data());
    scratch_ = pattern_;
}

std::size_t Payload::stamp_size() const noexcept {
    return std::min(kStampSize, pattern_.size());
}

void Payload::stamp(std::uint64_t n, char* out) const noexcept {
    static constexpr char kHex[] = "0123456789abcdef";
    const std::size_t len = stamp_size();
    for (std::size_t i = 0; i < len; ++i) {
        out[len - 1 - i] = kHex[(n >> (4 * i)) & 0xf];
    }
}

std::string_view Payload::message(std::uint64_t n) noexcept {
    stamp(n, scratch_.data());
    return scratch_;
}

bool Payload::matches(std::uint64_t n, std::string_view data) const noexcept {
    if (data.size() != pattern_.size()) {
        return false;
    }
    const std::size_t len = stamp_size();
    std::array<char, kStampSize> expected{};
    stamp(n, expected.data());
    return std::memcmp(data.data(), expected.data(), len) == 0
           && std::memcmp(data.data() + len, pattern_.data() + len, pattern_.size() - len) == 0;
}

}  // namespace wsx::tools
