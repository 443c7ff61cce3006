// Opening handshake, client side; see client_handshake.hpp.
#include "wsx/proto/client_handshake.hpp"

#include <algorithm>
#include <array>

#include <openssl/rand.h>

#include "wsx/proto/errc.hpp"

namespace wsx::proto {
namespace {

// Fields the handshake sets itself; an application's copy would contradict it.
bool is_handshake_field(std::string_view name) {
    for (std::string_view f :
         {"Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version",
          "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions", "Origin", "Content-Length",
          "Transfer-Encoding"}) {
        if (iequals(name, f)) {
            return true;
        }
    }
    return false;
}

}  // namespace

std::error_code check_protocol_list(const std::vector<std::string>& protocols) {
    // WHATWG WebSocket constructor: "If any of the values in protocols occur more than once or
    // otherwise fail to match the requirements for elements that comprise the value of
    // Sec-WebSocket-Protocol fields as defined by The WebSocket protocol, then throw a
    // SyntaxError". Duplicates compare case-sensitively there.
    for (std::size_t i = 0; i < protocols.size(); ++i) {
        if (!is_token(protocols[i])
            || std::find(protocols.begin() + static_cast<std::ptrdiff_t>(i) + 1, protocols.end(),
                         protocols[i])
                       != protocols.end()) {
            return Errc::bad_protocol_list;
        }
    }
    return {};
}

std::string make_websocket_key() {
    std::array<unsigned char, 16> nonce{};
    if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
        std::fill(nonce.begin(), nonce.end(), 0x5A);  // unreachable with a seeded OpenSSL
    }
    return base64_encode({reinterpret_cast<const char*>(nonce.data()), nonce.size()});
}

std::string build_client_request(const ClientHandshake& hs) {
    std::string out = "GET " + hs.resource + " HTTP/1.1\r\nHost: " + hs.host
                      + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                      + hs.key + "\r\nSec-WebSocket-Version: 13\r\n";
    if (hs.origin) {
        out += "Origin: " + *hs.origin + "\r\n";
    }
    if (!hs.protocols.empty()) {
        out += "Sec-WebSocket-Protocol: ";
        for (std::size_t i = 0; i < hs.protocols.size(); ++i) {
            out += (i == 0 ? "" : ", ") + hs.protocols[i];
        }
        out += "\r\n";
    }
    if (hs.deflate.enabled) {
        out += "Sec-WebSocket-Extensions: "
               + format_extension_header({format_deflate_offer(hs.deflate)}) + "\r\n";
    }
    for (const auto& [name, value] : hs.headers) {
        if (!is_handshake_field(name)) {
            out.append(name).append(": ").append(value).append("\r\n");
        }
    }
    out += "\r\n";
    return out;
}

Result<HandshakeAccepted> validate_upgrade_response(const HttpResponseHead& response,
                                                    const ClientHandshake& hs) {
    // RFC 6455 §4.1, the client's checks of the server's handshake, in the RFC's order; any
    // failure means "the client MUST _Fail the WebSocket Connection_".
    if (response.status != 101) {
        return Errc::unexpected_status;  // any version: the caller may follow a redirect
    }
    // §4.2.2: the server's answer starts "HTTP/1.1 101 Switching Protocols"; HTTP/1.0 has no
    // 101 (RFC 9110 §15.2.2: "A server MUST NOT send a 1xx response to an HTTP/1.0 client").
    if (response.version != "HTTP/1.1") {
        return Errc::response_not_http11;
    }
    if (!has_token(response.joined_header("Upgrade"), "websocket")) {
        return Errc::response_not_upgrade;
    }
    if (!has_token(response.joined_header("Connection"), "upgrade")) {
        return Errc::response_connection_not_upgrade;
    }
    const auto accept = response.header("Sec-WebSocket-Accept");
    if (response.header_count("Sec-WebSocket-Accept") != 1
        || *accept != compute_accept_key(hs.key)) {
        return Errc::bad_accept_key;
    }
    HandshakeAccepted out;
    if (response.header_count("Sec-WebSocket-Extensions") > 0) {
        // §4.1: "If the response includes a |Sec-WebSocket-Extensions| header field and this
        // header field indicates the use of an extension that was not present in the client's
        // handshake ..., the client MUST _Fail the WebSocket Connection_."
        out.extensions = response.joined_header("Sec-WebSocket-Extensions");
        if (!hs.deflate.enabled) {
            return Errc::unoffered_extension;
        }
        auto parsed = parse_extension_header(out.extensions);
        if (!parsed) {
            return parsed.error();
        }
        auto agreed = accept_deflate_response(*parsed, hs.deflate);
        if (!agreed) {
            return agreed.error();
        }
        out.deflate = *agreed;
    }
    if (response.header_count("Sec-WebSocket-Protocol") > 0) {
        const std::string chosen = response.joined_header("Sec-WebSocket-Protocol");
        if (response.header_count("Sec-WebSocket-Protocol") != 1
            || std::find(hs.protocols.begin(), hs.protocols.end(), chosen) == hs.protocols.end()) {
            return Errc::unoffered_subprotocol;
        }
        out.subprotocol = chosen;
    }
    return out;
}

}  // namespace wsx::proto
