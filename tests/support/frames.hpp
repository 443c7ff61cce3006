// Test helpers: build frames and requests as a peer would send them, and run an endpoint or an
// HTTP exchange over input split in different ways, describing its events as strings so tests
// compare plain text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "wsx/proto/endpoint.hpp"
#include "wsx/proto/errc.hpp"
#include "wsx/proto/frame_writer.hpp"
#include "wsx/proto/http_exchange.hpp"

namespace wsx::test {

inline constexpr proto::MaskingKey kKey{0x37, 0xfa, 0x21, 0x3d};

/// One frame as a client sends it (masked with kKey) unless `masked` is false.
inline std::string frame(proto::Opcode op, std::string_view payload, bool fin = true,
                         bool masked = true, bool rsv1 = false) {
    proto::OutputQueue out;
    proto::FrameSpec spec{.opcode = op, .fin = fin, .rsv1 = rsv1};
    if (masked) {
        spec.masking_key = kKey;
    }
    proto::write_frame(out, spec, payload);
    std::string bytes;
    std::vector<std::string_view> views(64);
    const auto n = out.peek(views);
    for (std::size_t i = 0; i < n; ++i) {
        bytes += views[i];
    }
    return bytes;
}

inline std::string text(std::string_view s, bool fin = true) {
    return frame(proto::Opcode::text, s, fin);
}

inline std::string binary(std::string_view s, bool fin = true) {
    return frame(proto::Opcode::binary, s, fin);
}

inline std::string cont(std::string_view s, bool fin = true) {
    return frame(proto::Opcode::continuation, s, fin);
}

inline std::string close_frame(std::uint16_t code, std::string_view reason = {}) {
    return frame(proto::Opcode::close, proto::encode_close_payload(code, reason));
}

inline constexpr const char* kRequest =
        "GET /echo?x=1 HTTP/1.1\r\n"
        "Host: localhost:9998\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Origin: http://localhost:9998\r\n"
        "Sec-WebSocket-Protocol: chat, superchat\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        "\r\n";

/// Everything in the endpoint's (or exchange's) output, consumed.
template <class Core>
std::string drain_output(Core& ep) {
    std::string bytes;
    std::vector<std::string_view> views(64);
    while (!ep.output().empty()) {
        const auto n = ep.output().peek(views);
        std::size_t total = 0;
        for (std::size_t i = 0; i < n; ++i) {
            bytes += views[i];
            total += views[i].size();
        }
        ep.consume_output(total);
    }
    return bytes;
}

/// "fail:1002" for a protocol violation, "fail:http400" for a bad request head.
inline std::string describe(const proto::Failed& f) {
    using namespace proto;
    if (f.error == Condition::handshake_failed) {
        return "fail:http" + std::to_string(http_status_for(f.error));
    }
    return "fail:" + std::to_string(close_code_for(f.error));
}

/// An HTTP exchange's event: "upgrade:/echo", "http:GET /x", or a failure as above.
inline std::string describe(const proto::HttpEvent& ev) {
    using namespace proto;
    if (auto* u = std::get_if<UpgradeRequested>(&ev)) {
        return "upgrade:" + std::string(u->request.path());
    }
    if (auto* h = std::get_if<HttpRequestReceived>(&ev)) {
        return "http:" + h->request.method + " " + h->request.target;
    }
    return describe(std::get<Failed>(ev));
}

/// An endpoint's event: "open:chat", "text:hello", "binary:3", "ping:x", "pong:",
/// "close:1000:bye", or a failure as above.
inline std::string describe(const proto::Event& ev) {
    using namespace proto;
    if (auto* o = std::get_if<Opened>(&ev)) {
        return "open:" + o->accepted.subprotocol;
    }
    if (auto* m = std::get_if<MessageReceived>(&ev)) {
        return m->type == MessageType::text ? "text:" + std::string(m->data)
                                            : "binary:" + std::to_string(m->data.size());
    }
    if (auto* p = std::get_if<PingReceived>(&ev)) {
        return "ping:" + std::string(p->payload);
    }
    if (auto* p = std::get_if<PongReceived>(&ev)) {
        return "pong:" + std::string(p->payload);
    }
    if (auto* c = std::get_if<CloseReceived>(&ev)) {
        return "close:" + std::to_string(c->code) + ":" + std::string(c->reason);
    }
    return describe(std::get<Failed>(ev));
}

/// Feeds `bytes` to `ep` (an endpoint or an exchange) in chunks of `chunk` bytes (0: all at
/// once), collecting event texts. Each chunk lives in its own buffer that is overwritten after
/// use, as a read buffer would be.
template <class Core>
std::vector<std::string> feed_split(Core& ep, std::string_view bytes, std::size_t chunk = 0) {
    std::vector<std::string> events;
    if (chunk == 0) {
        chunk = bytes.size() == 0 ? 1 : bytes.size();
    }
    std::string buffer;
    for (std::size_t pos = 0; pos < bytes.size(); pos += chunk) {
        buffer.assign(bytes.substr(pos, chunk));
        ep.feed(std::span<char>(buffer), 0);
        while (auto ev = ep.next_event()) {
            events.push_back(describe(*ev));
        }
        buffer.assign(buffer.size(), '\xEE');  // the read buffer gets reused
    }
    return events;
}

/// The endpoint a server exchange hands over after reading `request` and accepting it with
/// `options`; the caller checks it (errors as accept()'s).
inline Result<proto::Upgraded> upgrade(proto::HttpExchange& ex, std::string request = kRequest,
                                       const proto::AcceptOptions& options = {}) {
    ex.feed(std::span<char>(request), 0);
    while (ex.next_event()) {
    }
    return ex.accept(options, 0);
}

/// A server endpoint past its opening handshake (subprotocol none), output drained.
inline proto::Endpoint open_server(const proto::Limits& limits = {}) {
    proto::HttpExchange ex(limits, 0);
    auto up = upgrade(ex);
    proto::Endpoint ep = std::move(up->endpoint);
    drain_output(ep);
    return ep;
}

}  // namespace wsx::test
