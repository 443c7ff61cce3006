#include "wsx/proto/handshake.hpp"

#include <gtest/gtest.h>

#include "wsx/proto/errc.hpp"

#include "support/frames.hpp"

namespace wsx::proto {
namespace {

HttpRequest parse(std::string head) {
    HttpHeadReader r(Limits{});
    std::span<char> in(head);
    EXPECT_EQ(r.feed(in), HttpHeadReader::Status::complete) << head;
    return r.take_request();
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
    const auto pos = s.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    return s.replace(pos, from.size(), to);
}

TEST(Handshake, Rfc6455Section42AcceptKey) {
    // §1.3: "dGhlIHNhbXBsZSBub25jZQ==" -> "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    EXPECT_EQ(compute_accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(Handshake, ValidRequestExposesOriginSubprotocolsAndPath) {
    auto r = validate_upgrade_request(parse(test::kRequest));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->path(), "/echo");
    EXPECT_EQ(r->query(), "x=1");
    EXPECT_EQ(r->origin, "http://localhost:9998");
    EXPECT_EQ(r->subprotocols, (std::vector<std::string>{"chat", "superchat"}));
}

TEST(Handshake, TokenListsAreCaseInsensitiveAndMayHaveOtherMembers) {
    std::string req = replace(test::kRequest, "Upgrade: websocket", "Upgrade: h2c, WebSocket");
    req = replace(req, "Connection: Upgrade", "Connection: keep-alive, upgrade");
    EXPECT_TRUE(validate_upgrade_request(parse(req)));
}

struct Bad {
    const char* name;
    std::string from;
    std::string to;
    int status;
};

TEST(Handshake, RejectsEachRuleWithItsStatus) {
    const std::vector<Bad> cases = {
            {"POST", "GET ", "POST ", 405},
            {"HTTP/1.0", "HTTP/1.1\r\nHost", "HTTP/1.0\r\nHost", 400},
            {"no Host", "Host: localhost:9998\r\n", "", 400},
            {"two Hosts", "Host: localhost:9998\r\n", "Host: a\r\nHost: b\r\n", 400},
            {"no Upgrade", "Upgrade: websocket\r\n", "", 426},
            {"Upgrade other", "Upgrade: websocket", "Upgrade: h2c", 426},
            {"no Connection", "Connection: Upgrade\r\n", "", 400},
            {"Connection close", "Connection: Upgrade", "Connection: close", 400},
            {"no key", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "", 400},
            {"short key", "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ==", 400},
            {"key not base64", "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZ!==", 400},
            {"two keys", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key: "
             "dGhlIHNhbXBsZSBub25jZQ==\r\n",
             400},
            {"version 8", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8", 426},
            {"no version", "Sec-WebSocket-Version: 13\r\n", "", 426},
            {"body", "Origin:", "Content-Length: 5\r\nOrigin:", 400},
            {"chunked", "Origin:", "Transfer-Encoding: chunked\r\nOrigin:", 400},
            {"both", "Origin:", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\nOrigin:", 400},
            {"bad protocol list", "chat, superchat", "chat superchat", 400},
            {"duplicate protocol", "chat, superchat", "chat, chat", 400},
            {"bad extensions", "Origin:", "Sec-WebSocket-Extensions: foo;\r\nOrigin:", 400},
    };
    for (const auto& c : cases) {
        auto r = validate_upgrade_request(parse(replace(test::kRequest, c.from, c.to)));
        ASSERT_FALSE(r) << c.name;
        EXPECT_EQ(http_status_for(r.error()), c.status) << c.name << ": " << r.error().message();
        EXPECT_TRUE(r.error() == Condition::handshake_failed) << c.name;
    }
}

TEST(Handshake, ContentLengthZeroIsAllowed) {
    EXPECT_TRUE(validate_upgrade_request(
            parse(replace(test::kRequest, "Origin:", "Content-Length: 0\r\nOrigin:"))));
}

TEST(Handshake, AcceptResponse) {
    const std::string r =
            build_accept_response("dGhlIHNhbXBsZSBub25jZQ==", "chat", "", {{"X-A", "1"}});
    EXPECT_EQ(r,
              "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: "
              "chat\r\nX-A: 1\r\n\r\n");
}

TEST(Handshake, UpgradeRequiredNamesTheVersion) {
    // §4.4: "... MUST abort the WebSocket handshake ... and send ... |Sec-WebSocket-Version| header
    // field indicating the version(s) the server is capable of understanding".
    const std::string r = build_error_response(426, "nope");
    EXPECT_NE(r.find("HTTP/1.1 426 Upgrade Required\r\n"), std::string::npos);
    EXPECT_NE(r.find("Sec-WebSocket-Version: 13\r\n"), std::string::npos);
    EXPECT_NE(r.find("Content-Length: 5\r\n"), std::string::npos);
    EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos);
    EXPECT_EQ(r.substr(r.size() - 9), "\r\n\r\nnope\n");
}

}  // namespace
}  // namespace wsx::proto
