// Message decoder: frames in, whole messages and control frames out (RFC 6455 §5.4 fragmentation,
// §8.1 UTF-8, the message size limit). A data message that arrives as one unfragmented frame
// within one buffer is handed out as a view of that buffer (unmasked in place): no copy, no
// allocation. Otherwise its fragments are appended to one growing buffer, after checking the
// announced length against the limit, so fragments cost no memory beyond their payload; the
// rest of a large frame can be read straight into that buffer (direct_target). Text is
// validated as it arrives and fails at the first bad byte. With permessage-deflate (RFC 7692), a
// message whose first frame has RSV1 is inflated fragment by fragment into that buffer, the size
// limit applying to the inflated bytes as they come.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "wsx/proto/deflate_codec.hpp"
#include "wsx/proto/frame_parser.hpp"
#include "wsx/proto/message_buffer.hpp"
#include "wsx/proto/utf8.hpp"

namespace wsx::proto {

enum class MessageType { text, binary };

/// One step of the reader.
struct ReadItem {
    enum class Kind { need_more, message, ping, pong, close, error };
    Kind kind = Kind::need_more;
    MessageType type = MessageType::text;  // for message
    /// Message or control payload: a view valid until the next call to next() or until the
    /// buffer given to it is reused.
    std::string_view data;
    std::error_code error;
};

/// Streaming message decoder for one direction of one connection. Failure is sticky.
class MessageReader {
public:
    MessageReader(Role role, std::size_t max_message_size, FrameRules rules = {}) noexcept
        : parser_(role, rules), parser_role_(role), max_message_size_(max_message_size) {}

    /// Consumes bytes from the front of `input` until one item is complete or `input` is used.
    [[nodiscard]] ReadItem next(std::span<char>& input);

    /// Accepts RSV1 on a message's first frame and inflates such messages with `inflater`, which
    /// must outlive the reader (it lives in the endpoint's deflate state). Call before any frame.
    void use_inflater(MessageInflater* inflater) noexcept;

    /// Where the rest of the current frame's payload may be read straight to, when it is a data
    /// frame's (not compressed) with at least `min_bytes` still to come: the message buffer's
    /// room for it; else empty. Bytes read there and given to next() as the input (a prefix of
    /// this span) are unmasked and kept in place, not copied.
    [[nodiscard]] std::span<char> direct_target(std::size_t min_bytes);

    /// Bytes held for a message in progress (the buffered part of a fragmented message).
    [[nodiscard]] std::size_t buffered() const noexcept { return message_.size(); }

    /// Between frames, no message under way, not failed: nothing is kept from one read to the
    /// next, so the reader may serve another connection (Endpoint pools idle readers).
    [[nodiscard]] bool idle() const noexcept {
        return !error_ && !in_message_ && parser_.at_frame_boundary();
    }

    /// Starts again as a new reader for `role` and `max_message_size` (no inflater), keeping its
    /// message buffer's storage up to `keep_capacity` bytes (larger storage is freed).
    void reuse(Role role, std::size_t max_message_size, std::size_t keep_capacity) noexcept;

private:
    [[nodiscard]] std::error_code start_frame(const FrameHeader& h);
    [[nodiscard]] ReadItem on_data_chunk(const FrameHeader& h, const FrameChunk& c);
    [[nodiscard]] ReadItem on_compressed_chunk(const FrameHeader& h, const FrameChunk& c);
    [[nodiscard]] ReadItem on_control_chunk(const FrameHeader& h, const FrameChunk& c);
    [[nodiscard]] ReadItem fail(std::error_code ec);

    FrameParser parser_;
    Role parser_role_;
    std::size_t max_message_size_;
    bool in_message_ = false;  // a data message has started and not finished
    bool buffering_ = false;   // its bytes are going to message_
    bool compressed_ = false;  // its first frame had RSV1: it is inflated into message_
    MessageInflater* inflater_ = nullptr;
    MessageType type_ = MessageType::text;
    std::uint64_t announced_ = 0;  // sum of the announced lengths of its frames
    MessageBuffer message_;
    Utf8Validator utf8_;
    // A control frame split across reads is gathered here; allocated the first time one is
    // (rare), not held by every connection.
    std::unique_ptr<std::array<char, kMaxControlPayload>> control_;
    std::size_t control_len_ = 0;
    std::error_code error_;
};

}  // namespace wsx::proto
