// Runs an endpoint past its handshake as the echo resource would (every message sent back,
// "Goodbye" answered with a close), over input split in chunks, and decodes what it sent with a
// parser of the other role: a server by default, or a client fed the same frames unmasked. Output
// frames are described as "text:...", "binary:N", "pong:...", "close:CODE".
#pragma once

#include <algorithm>
#include <string>
#include <system_error>
#include <vector>

#include "wsx/proto/message_reader.hpp"

#include "support/frames.hpp"

namespace wsx::test {

struct EchoRun {
    std::vector<std::string> sent;  // frames the server wrote, decoded
    proto::State state;
    proto::CloseInfo info;
    std::error_code failure;  // the Failed event's error, if there was one
    bool goodbye = false;     // the echo resource closed with 1000 after "Goodbye"
};

/// Decodes what an endpoint sent: the server's frames with a client-role reader, or, with
/// `from` = Role::client, a client's (masked) frames with a server-role reader.
inline std::vector<std::string> decode_server_output(std::string bytes,
                                                     proto::Role from = proto::Role::server) {
    std::vector<std::string> out;
    proto::MessageReader reader(
            from == proto::Role::server ? proto::Role::client : proto::Role::server,
            std::size_t{1} << 30);
    std::span<char> in(bytes);
    for (;;) {
        proto::ReadItem item = reader.next(in);
        using K = proto::ReadItem::Kind;
        if (item.kind == K::need_more) {
            break;
        }
        if (item.kind == K::error) {
            out.push_back("undecodable:" + item.error.message());
            break;
        }
        if (item.kind == K::message) {
            out.push_back(item.type == proto::MessageType::text
                                  ? "text:" + std::string(item.data)
                                  : "binary:" + std::to_string(item.data.size()));
        } else if (item.kind == K::pong) {
            out.push_back("pong:" + std::string(item.data));
        } else if (item.kind == K::ping) {
            out.push_back("ping:" + std::string(item.data));
        } else {
            auto p = proto::parse_close_payload(item.data);
            out.push_back(p ? "close:" + std::to_string(p->code) : "close:malformed");
        }
    }
    return out;
}

/// The same frames as a server would send them: every masked frame of `bytes` rewritten without
/// its mask (headers otherwise untouched, reserved bits and odd lengths included), so a case list
/// written for the server can drive a client.
inline std::string as_server_frames(std::string_view bytes) {
    std::string out;
    std::size_t pos = 0;
    while (pos + 2 <= bytes.size()) {
        const auto b1 = static_cast<unsigned char>(bytes[pos + 1]);
        std::size_t head = 2;
        std::uint64_t len = b1 & 0x7F;
        if (len == 126 || len == 127) {
            const std::size_t extra = len == 126 ? 2 : 8;
            if (pos + 2 + extra > bytes.size()) {
                break;
            }
            len = 0;
            for (std::size_t i = 0; i < extra; ++i) {
                len = (len << 8) | static_cast<unsigned char>(bytes[pos + 2 + i]);
            }
            head += extra;
        }
        const bool masked = (b1 & 0x80) != 0;
        const std::size_t key_at = pos + head;
        if (masked && key_at + 4 > bytes.size()) {
            break;
        }
        out.append(bytes.substr(pos, head));
        out[out.size() - head + 1] = static_cast<char>(b1 & 0x7F);
        const std::size_t payload_at = key_at + (masked ? 4 : 0);
        const std::size_t n = static_cast<std::size_t>(
                std::min<std::uint64_t>(len, bytes.size() - std::min(payload_at, bytes.size())));
        for (std::size_t i = 0; i < n; ++i) {
            char c = bytes[payload_at + i];
            if (masked) {
                c = static_cast<char>(c ^ bytes[key_at + i % 4]);
            }
            out += c;
        }
        pos = payload_at + n;
        if (n < len) {
            return out;  // the input ends inside this payload
        }
    }
    out.append(bytes.substr(std::min(pos, bytes.size())));
    return out;
}

inline EchoRun run_echo(const std::string& bytes, std::size_t chunk = 0,
                        const proto::Limits& limits = {}, proto::Role role = proto::Role::server) {
    proto::Endpoint ep =
            role == proto::Role::server ? open_server(limits) : proto::Endpoint(role, limits, 0);
    std::string sent;
    if (chunk == 0) {
        chunk = std::max<std::size_t>(bytes.size(), 1);
    }
    std::string buffer;
    std::error_code failure;
    bool goodbye = false;
    for (std::size_t pos = 0; pos < bytes.size();) {
        // As the engine reads: into the endpoint's own room when it offers some (the rest of a
        // large frame), else into a buffer of ours.
        const std::size_t n = std::min(chunk, bytes.size() - pos);
        if (const std::span<char> into = ep.direct_input(); !into.empty()) {
            const std::size_t m = std::min(n, into.size());
            std::copy_n(bytes.data() + pos, m, into.data());
            ep.feed(into.first(m), 0);
            pos += m;
        } else {
            buffer.assign(bytes, pos, n);
            ep.feed(std::span<char>(buffer), 0);
            pos += n;
        }
        while (auto ev = ep.next_event()) {
            if (auto* m = std::get_if<proto::MessageReceived>(&*ev)) {
                (void)ep.send(m->type, m->data);
                if (m->type == proto::MessageType::text && m->data == "Goodbye") {
                    goodbye = !ep.close(1000, "", 0);
                }
            } else if (auto* f = std::get_if<proto::Failed>(&*ev)) {
                failure = f->error;
            }
        }
        sent += drain_output(ep);
    }
    return {decode_server_output(sent, role), ep.state(), ep.close_info(), failure, goodbye};
}

}  // namespace wsx::test
