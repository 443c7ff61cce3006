// Opening handshake, server side; see handshake.hpp. Table of rules: each check is one function
// returning the most specific error, applied in the order RFC 6455 §4.2.1 lists them.
#include "wsx/proto/handshake.hpp"

#include <algorithm>
#include <array>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "wsx/proto/errc.hpp"

namespace wsx::proto {
namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool has_token_impl(std::string_view list, std::string_view wanted, bool allow_version) {
    // Upgrade = 1#protocol, protocol = protocol-name ["/" protocol-version]; Connection =
    // 1#connection-option. Both compare case-insensitively (RFC 9110 §7.6.1, §7.8).
    while (!list.empty()) {
        const auto comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
            item.remove_prefix(1);
        }
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) {
            item.remove_suffix(1);
        }
        if (allow_version) {
            item = item.substr(0, item.find('/'));
        }
        if (iequals(item, wanted)) {
            return true;
        }
    }
    return false;
}

bool is_valid_key(std::string_view key) {
    // §4.2.1: "a base64-encoded value that, when decoded, is 16 bytes in length": 22 base64
    // characters and "==".
    if (key.size() != 24 || key.substr(22) != "==") {
        return false;
    }
    auto is_b64 = [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
               || c == '+' || c == '/';
    };
    if (!std::all_of(key.begin(), key.begin() + 22, is_b64)) {
        return false;
    }
    std::array<unsigned char, 24> out{};
    return EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(key.data()), 24)
           == 18;
}

std::error_code check_request_line(const HttpRequest& r) {
    if (r.method != "GET") {
        return Errc::method_not_get;
    }
    if (r.version != "HTTP/1.1") {
        return Errc::bad_http_version;
    }
    return {};
}

std::error_code check_single_fields(const HttpRequest& r) {
    if (r.header_count("Host") != 1) {
        return Errc::missing_host;
    }
    for (std::string_view name : {"Origin", "Sec-WebSocket-Version", "Content-Length"}) {
        if (r.header_count(name) > 1) {
            return Errc::duplicate_header;
        }
    }
    return {};
}

std::error_code check_no_body(const HttpRequest& r) {
    // An upgrade request has no body (RFC 6455 §4.1 sends none; bytes after the head are frames).
    const auto length = r.header("Content-Length");
    if (r.header_count("Transfer-Encoding") > 0 || (length && *length != "0")) {
        return Errc::body_not_allowed;
    }
    return {};
}

std::error_code check_upgrade_fields(const HttpRequest& r) {
    if (!has_token_impl(r.joined_header("Upgrade"), "websocket", true)) {
        return Errc::not_websocket_upgrade;
    }
    if (!has_token_impl(r.joined_header("Connection"), "upgrade", false)) {
        return Errc::missing_connection_upgrade;
    }
    const auto version = r.header("Sec-WebSocket-Version");
    if (!version || *version != "13") {
        return Errc::unsupported_websocket_version;
    }
    const auto key = r.header("Sec-WebSocket-Key");
    if (r.header_count("Sec-WebSocket-Key") != 1 || !is_valid_key(*key)) {
        return Errc::bad_websocket_key;
    }
    return {};
}

Result<std::vector<std::string>> parse_subprotocols(const HttpRequest& r) {
    std::vector<std::string> out;
    if (r.header_count("Sec-WebSocket-Protocol") == 0) {
        return out;
    }
    const std::string joined = r.joined_header("Sec-WebSocket-Protocol");  // the tokens view it
    auto tokens = parse_token_list(joined);
    if (!tokens || tokens->empty()) {
        return Errc::bad_subprotocol_header;
    }
    for (std::string_view t : *tokens) {
        if (std::find(out.begin(), out.end(), t) != out.end()) {
            return Errc::bad_subprotocol_header;
        }
        out.emplace_back(t);
    }
    return out;
}

}  // namespace

bool has_token(std::string_view list, std::string_view token) {
    return has_token_impl(list, token, false);
}

std::error_code check_plain_request(const HttpRequest& r) {
    if (r.version != "HTTP/1.1" && r.version != "HTTP/1.0") {
        return Errc::bad_http_version;
    }
    if (r.version == "HTTP/1.1" || r.header_count("Host") > 0) {
        return check_single_fields(r);
    }
    if (r.header_count("Content-Length") > 1) {
        return Errc::duplicate_header;
    }
    return {};
}

Result<std::uint64_t> request_body_length(const HttpRequest& r) {
    // RFC 9112 §6.3: with both, Transfer-Encoding would win and the framing is suspect (request
    // smuggling): refuse. A body without a length is refused with 411, which §6.3 allows; then
    // CGI scripts always get CONTENT_LENGTH (RFC 3875 §4.1.2).
    const auto length = r.header("Content-Length");
    if (r.header_count("Transfer-Encoding") > 0) {
        return length ? Errc::body_not_allowed : Errc::length_required;
    }
    if (!length) {
        return std::uint64_t{0};
    }
    const auto n = parse_decimal(*length);
    if (!n) {
        return Errc::bad_content_length;
    }
    return *n;
}

Result<UpgradeRequest> validate_upgrade_request(HttpRequest request) {
    for (auto check :
         {check_request_line, check_single_fields, check_no_body, check_upgrade_fields}) {
        if (auto ec = check(request)) {
            return ec;
        }
    }
    UpgradeRequest out;
    auto subprotocols = parse_subprotocols(request);
    if (!subprotocols) {
        return subprotocols.error();
    }
    out.subprotocols = std::move(*subprotocols);
    if (request.header_count("Sec-WebSocket-Extensions") > 0) {
        auto extensions = parse_extension_header(request.joined_header("Sec-WebSocket-Extensions"));
        if (!extensions) {
            return extensions.error();
        }
        out.extensions = std::move(*extensions);
    }
    out.key = *request.header("Sec-WebSocket-Key");
    if (auto origin = request.header("Origin")) {
        out.origin = std::string(*origin);
    }
    out.http = std::move(request);
    return out;
}

namespace {

// Fetched once and kept: OpenSSL 3's SHA1() fetches the algorithm by name on every call.
const EVP_MD* sha1_digest() noexcept {
    static const EVP_MD* const kMd = EVP_MD_fetch(nullptr, "SHA1", nullptr);
    return kMd;
}

}  // namespace

void prepare_accept_keys() noexcept {
    (void)sha1_digest();
}

std::string compute_accept_key(std::string_view key) {
    std::string input;
    input.reserve(key.size() + kGuid.size());
    input.append(key).append(kGuid);
    std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
    const EVP_MD* md = sha1_digest();
    if (md == nullptr
        || EVP_Digest(input.data(), input.size(), digest.data(), nullptr, md, nullptr) != 1) {
        // Not fetched (no memory, a provider missing): the one-shot call, which fetches itself.
        SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data());
    }
    return base64_encode({reinterpret_cast<const char*>(digest.data()), digest.size()});
}

std::string base64_encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // + the NUL it writes
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string build_accept_response(std::string_view key, std::string_view subprotocol,
                                  std::string_view extensions, const HeaderList& extra_headers) {
    std::string out;
    out.reserve(160);
    out += "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
    out += "Sec-WebSocket-Accept: ";
    out += compute_accept_key(key);
    out += "\r\n";
    if (!subprotocol.empty()) {
        out.append("Sec-WebSocket-Protocol: ").append(subprotocol).append("\r\n");
    }
    if (!extensions.empty()) {
        out.append("Sec-WebSocket-Extensions: ").append(extensions).append("\r\n");
    }
    for (const auto& [name, value] : extra_headers) {
        out.append(name).append(": ").append(value).append("\r\n");
    }
    out += "\r\n";
    return out;
}

std::string_view reason_phrase(int status) noexcept {
    struct Phrase {
        int status;
        std::string_view text;
    };

    static constexpr Phrase kPhrases[] = {
            {100, "Continue"},
            {101, "Switching Protocols"},
            {200, "OK"},
            {201, "Created"},
            {202, "Accepted"},
            {204, "No Content"},
            {206, "Partial Content"},
            {301, "Moved Permanently"},
            {302, "Found"},
            {303, "See Other"},
            {304, "Not Modified"},
            {307, "Temporary Redirect"},
            {308, "Permanent Redirect"},
            {400, "Bad Request"},
            {401, "Unauthorized"},
            {403, "Forbidden"},
            {404, "Not Found"},
            {405, "Method Not Allowed"},
            {408, "Request Timeout"},
            {409, "Conflict"},
            {410, "Gone"},
            {411, "Length Required"},
            {413, "Content Too Large"},
            {415, "Unsupported Media Type"},
            {422, "Unprocessable Content"},
            {426, "Upgrade Required"},
            {429, "Too Many Requests"},
            {431, "Request Header Fields Too Large"},
            {500, "Internal Server Error"},
            {501, "Not Implemented"},
            {502, "Bad Gateway"},
            {503, "Service Unavailable"},
            {504, "Gateway Timeout"},
    };
    for (const auto& p : kPhrases) {
        if (p.status == status) {
            return p.text;
        }
    }
    // RFC 9112 §4: the reason phrase carries no meaning; the class name is a fair one.
    switch (status / 100) {
        case 1:
            return "Informational";
        case 2:
            return "Success";
        case 3:
            return "Redirection";
        case 4:
            return "Client Error";
        default:
            return "Server Error";
    }
}

std::string build_response_head(int status, const HeaderList& extra_headers,
                                std::uint64_t content_length, bool keep_alive) {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " ";
    out += reason_phrase(status);
    out += "\r\n";
    for (const auto& [name, value] : extra_headers) {
        out.append(name).append(": ").append(value).append("\r\n");
    }
    if (status != 304) {
        out += "Content-Length: " + std::to_string(content_length) + "\r\n";
    }
    if (!keep_alive) {
        out += "Connection: close\r\n";
    }
    out += "\r\n";
    return out;
}

std::string build_streaming_response_head(int status, const HeaderList& extra_headers, bool chunked,
                                          bool keep_alive) {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " ";
    out += reason_phrase(status);
    out += "\r\n";
    for (const auto& [name, value] : extra_headers) {
        out.append(name).append(": ").append(value).append("\r\n");
    }
    if (chunked) {
        out += "Transfer-Encoding: chunked\r\n";
    }
    if (!keep_alive) {
        out += "Connection: close\r\n";
    }
    out += "\r\n";
    return out;
}

std::string build_error_response(int status, std::string_view body,
                                 const HeaderList& extra_headers) {
    HeaderList headers{{"Content-Type", "text/plain; charset=utf-8"}};
    if (status == 426) {
        headers.emplace_back("Upgrade", "websocket");
        headers.emplace_back("Sec-WebSocket-Version", "13");
    }
    if (status == 405) {
        headers.emplace_back("Allow", "GET");
    }
    headers.insert(headers.end(), extra_headers.begin(), extra_headers.end());
    std::string out = build_response_head(status, headers, body.size() + 1, false);
    out.append(body).append("\n");
    return out;
}

}  // namespace wsx::proto
