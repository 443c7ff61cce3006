// Runs a server endpoint past its handshake as the echo resource would (every message sent back,
// "Goodbye" answered with a close), over input split in chunks, and decodes what it sent with a
// client-role parser. Output frames are described as "text:...", "binary:N", "pong:...",
// "close:CODE".
#pragma once

#include <string>
#include <vector>

#include "wsx/proto/message_reader.hpp"

#include "support/frames.hpp"

namespace wsx::test {

struct EchoRun {
    std::vector<std::string> sent;  // frames the server wrote, decoded
    proto::State state;
    proto::CloseInfo info;
};

inline std::vector<std::string> decode_server_output(std::string bytes) {
    std::vector<std::string> out;
    proto::MessageReader reader(proto::Role::client, std::size_t{1} << 30);
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

inline EchoRun run_echo(const std::string& bytes, std::size_t chunk = 0,
                        const proto::Limits& limits = {}) {
    proto::Endpoint ep = open_server(limits);
    std::string sent;
    if (chunk == 0) {
        chunk = std::max<std::size_t>(bytes.size(), 1);
    }
    std::string buffer;
    for (std::size_t pos = 0; pos < bytes.size(); pos += chunk) {
        buffer.assign(bytes.substr(pos, chunk));
        ep.feed(std::span<char>(buffer), 0);
        while (auto ev = ep.next_event()) {
            if (auto* m = std::get_if<proto::MessageReceived>(&*ev)) {
                (void)ep.send(m->type, m->data);
                if (m->type == proto::MessageType::text && m->data == "Goodbye") {
                    (void)ep.close(1000, "", 0);
                }
            }
        }
        sent += drain_output(ep);
    }
    return {decode_server_output(sent), ep.state(), ep.close_info()};
}

}  // namespace wsx::test
