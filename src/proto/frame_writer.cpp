// Frame encoder; see frame_writer.hpp.
#include "wsx/proto/frame_writer.hpp"

#include <utility>

namespace wsx::proto {

std::size_t encode_frame_header(std::array<char, kMaxFrameHeaderSize>& out,
                                const FrameHeader& h) noexcept {
    auto byte = [](unsigned v) {
        return static_cast<char>(static_cast<std::uint8_t>(v));
    };
    out[0] = byte((h.fin ? 0x80U : 0U) | (h.rsv1 ? 0x40U : 0U) | (h.rsv2 ? 0x20U : 0U)
                  | (h.rsv3 ? 0x10U : 0U) | static_cast<unsigned>(h.opcode));
    const unsigned mask_bit = h.masked ? 0x80U : 0U;
    std::size_t pos = 2;
    if (h.payload_length < 126) {
        out[1] = byte(mask_bit | static_cast<unsigned>(h.payload_length));
    } else if (h.payload_length <= 0xFFFF) {
        out[1] = byte(mask_bit | 126U);
        out[2] = byte(static_cast<unsigned>(h.payload_length >> 8));
        out[3] = byte(static_cast<unsigned>(h.payload_length));
        pos = 4;
    } else {
        out[1] = byte(mask_bit | 127U);
        for (std::size_t i = 0; i < 8; ++i) {
            out[2 + i] = byte(static_cast<unsigned>(h.payload_length >> (56 - 8 * i)));
        }
        pos = 10;
    }
    if (h.masked) {
        for (std::size_t i = 0; i < 4; ++i) {
            out[pos + i] = byte(h.masking_key[i]);
        }
        pos += 4;
    }
    return pos;
}

namespace {

std::string_view append_header(std::array<char, kMaxFrameHeaderSize>& buf, const FrameSpec& spec,
                               std::size_t payload_size) {
    FrameHeader h;
    h.fin = spec.fin;
    h.rsv1 = spec.rsv1;
    h.opcode = spec.opcode;
    h.masked = spec.masking_key.has_value();
    if (h.masked) {
        h.masking_key = *spec.masking_key;
    }
    h.payload_length = payload_size;
    return {buf.data(), encode_frame_header(buf, h)};
}

}  // namespace

void write_frame(OutputQueue& out, const FrameSpec& spec, std::string_view payload) {
    std::array<char, kMaxFrameHeaderSize> buf{};
    out.append(append_header(buf, spec, payload.size()));
    std::span<char> placed = out.append(payload);
    if (spec.masking_key) {
        apply_mask(placed, *spec.masking_key);
    }
}

std::string frame_bytes(Opcode opcode, std::string_view payload, bool rsv1) {
    std::array<char, kMaxFrameHeaderSize> buf{};
    const std::string_view header =
            append_header(buf, {.opcode = opcode, .rsv1 = rsv1}, payload.size());
    std::string frame;
    frame.reserve(header.size() + payload.size());
    frame.append(header);
    frame.append(payload);
    return frame;
}

void write_frame(OutputQueue& out, const FrameSpec& spec, std::string&& payload) {
    if (spec.masking_key || payload.size() < OutputQueue::kBlockSize) {
        write_frame(out, spec, std::string_view(payload));
        return;
    }
    std::array<char, kMaxFrameHeaderSize> buf{};
    out.append(append_header(buf, spec, payload.size()));
    out.append_block(std::move(payload));
}

}  // namespace wsx::proto
