// Endpoint's short cuts: two for input, one for small frames and one for large ones, and one
// for output, a message framed once for many connections.
//
// next_small_frame: the common case of Endpoint::next_frame_event, taken without a message
// reader: a whole unfragmented text or binary frame of at most 125 bytes, at a frame boundary,
// in the input at hand. It is the general path's outcome for that frame (the frame fuzzer
// compares the two: the same bytes read whole take this path, read in pieces the general one),
// in one pass: header, unmask in place, UTF-8, the message. Anything else (a longer or
// fragmented frame, a control frame, RSV bits, a mask where the role forbids one, a frame over
// the limit or not yet whole) is left to the general path untouched.
//
// direct_input: a large frame's payload still to come is read straight into its message buffer
// rather than into the loop's shared buffer and copied from there. It is taken only for what is
// worth a read of its own (kDirectInputMin): a smaller rest comes with whatever follows it.
//
// send_framed: a topic's publication is framed once (frame_bytes) and its bytes queued as they
// are on each subscriber, rather than framed again for each one.
#include <cstdint>

#include "wsx/proto/endpoint.hpp"
#include "wsx/proto/errc.hpp"
#include "wsx/proto/mask.hpp"
#include "wsx/proto/utf8.hpp"

namespace wsx::proto {

namespace {
constexpr std::size_t kDirectInputMin = 16 * 1024;
}  // namespace

std::span<char> Endpoint::direct_input() {
    if (!reader_ || !input_.empty() || early_input_waiting_
        || (state_ != State::open && state_ != State::closing)) {
        return {};
    }
    return reader_->direct_target(kDirectInputMin);
}

std::error_code Endpoint::send_framed(std::string_view frame) {
    if (state_ != State::open) {
        return Errc::not_open;
    }
    if (fragmenting_) {
        return Errc::message_in_progress;
    }
    (void)out_.append(frame);
    return {};
}

std::optional<Event> Endpoint::next_small_frame(bool& taken) {
    taken = false;
    if (reader_ || input_.size() < 2) {
        return std::nullopt;  // a frame or message under way, or not even a header
    }
    const auto b0 = static_cast<std::uint8_t>(input_[0]);
    const auto b1 = static_cast<std::uint8_t>(input_[1]);
    const unsigned opcode = b0 & 0x0fU;
    const std::size_t length = b1 & 0x7fU;
    const bool masked = (b1 & 0x80U) != 0;
    // FIN set, RSV1-3 clear, text (1) or binary (2); a 7-bit length; masked by clients only
    // (RFC 6455 §5.1, §5.2).
    if ((b0 & 0xf0U) != 0x80U || (opcode != 1 && opcode != 2) || length > 125
        || masked != (role_ == Role::server) || length > max_message_size_) {
        return std::nullopt;
    }
    const std::size_t header = masked ? 6 : 2;
    if (input_.size() < header + length) {
        return std::nullopt;
    }
    taken = true;
    const std::span<char> payload = input_.subspan(header, length);
    if (masked) {
        MaskingKey key{};
        for (std::size_t i = 0; i < key.size(); ++i) {
            key[i] = static_cast<std::uint8_t>(input_[2 + i]);
        }
        apply_mask(payload, key);
    }
    input_ = input_.subspan(header + length);
    const std::string_view data(payload.data(), payload.size());
    if (opcode == 1 && !is_valid_utf8(data)) {
        return fail(Errc::invalid_utf8);  // §8.1
    }
    return MessageReceived{opcode == 1 ? MessageType::text : MessageType::binary, data};
}

}  // namespace wsx::proto
