#include "wsx/proto/client_handshake.hpp"

#include <gtest/gtest.h>

#include "wsx/proto/deflate_codec.hpp"
#include "wsx/proto/endpoint.hpp"
#include "wsx/proto/errc.hpp"
#include "wsx/proto/http_exchange.hpp"

#include "support/frames.hpp"

namespace wsx::proto {
namespace {

using V = std::vector<std::string>;

// RFC 6455 §1.3's example key and accept value.
constexpr const char* kKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr const char* kAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

ClientHandshake sample() {
    return {.host = "server.example.com",
            .resource = "/chat?x=1",
            .protocols = {"chat", "superchat"},
            .origin = "http://example.com",
            .headers = {{"Authorization", "Bearer t"}, {"Host", "evil"}},
            .key = kKey};
}

std::string response(std::string_view extra = "Sec-WebSocket-Protocol: chat\r\n") {
    return std::string(
                   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Accept: ")
           + kAccept + "\r\n" + std::string(extra) + "\r\n";
}

TEST(ClientHandshake, RequestHasEveryRequiredField) {
    const std::string r = build_client_request(sample());
    EXPECT_EQ(r,
              "GET /chat?x=1 HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
              "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              "Sec-WebSocket-Version: 13\r\nOrigin: http://example.com\r\n"
              "Sec-WebSocket-Protocol: chat, superchat\r\n"
              "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
              "Authorization: Bearer t\r\n\r\n");
    // ...and a server core accepts it as a valid upgrade.
    HttpExchange server({}, 0);
    EXPECT_EQ(test::feed_split(server, r), (V{"upgrade:/chat"}));
}

TEST(ClientHandshake, KeysAreFreshBase64Of16Bytes) {
    const std::string a = make_websocket_key();
    const std::string b = make_websocket_key();
    EXPECT_EQ(a.size(), 24U);
    EXPECT_EQ(a.substr(22), "==");
    EXPECT_NE(a, b);
}

TEST(ClientHandshake, ProtocolListsFollowTheBrowsersRules) {
    EXPECT_FALSE(check_protocol_list({}));
    EXPECT_FALSE(check_protocol_list({"chat", "Chat"}));  // case-sensitive duplicates
    EXPECT_EQ(check_protocol_list({"chat", "chat"}), make_error_code(Errc::bad_protocol_list));
    EXPECT_EQ(check_protocol_list({"a b"}), make_error_code(Errc::bad_protocol_list));
    EXPECT_EQ(check_protocol_list({""}), make_error_code(Errc::bad_protocol_list));
    EXPECT_EQ(check_protocol_list({"x,y"}), make_error_code(Errc::bad_protocol_list));
}

Result<HandshakeAccepted> check(const std::string& bytes, const ClientHandshake& hs = sample()) {
    HttpHeadReader reader({}, HttpHeadReader::Kind::response);
    std::string copy = bytes;
    std::span<char> in(copy);
    if (reader.feed(in) != HttpHeadReader::Status::complete) {
        return reader.error();
    }
    return validate_upgrade_response(reader.response(), hs);
}

TEST(ClientHandshake, ResponseChecksInTheRfcsOrder) {
    auto ok = check(response());
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->subprotocol, "chat");
    EXPECT_EQ(check(response("")).value().subprotocol, "");  // none chosen is fine
    const std::pair<std::string, Errc> cases[] = {
            {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", Errc::unexpected_status},
            {"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\n\r\n", Errc::unexpected_status},
            {"garbage\r\n\r\n", Errc::bad_status_line},
            {"HTTP/1.1 1O1 x\r\n\r\n", Errc::bad_status_line},
            {"HTTP/1.0 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
             "Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
             Errc::response_not_http11},
            {"HTTP/2.0 101 Switching Protocols\r\n\r\n", Errc::response_not_http11},
            {"HTTP/1.0 200 OK\r\n\r\n", Errc::unexpected_status},
            {"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n",
             Errc::response_not_upgrade},
            {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
             Errc::response_connection_not_upgrade},
            {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n",
             Errc::bad_accept_key},
            {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
             "Upgrade\r\n\r\n",
             Errc::bad_accept_key},
            {response("Sec-WebSocket-Protocol: mqtt\r\n"), Errc::unoffered_subprotocol},
            {response("Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n"),
             Errc::unoffered_subprotocol},
            {response("Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n"),
             Errc::unoffered_extension},
            {response("Sec-WebSocket-Extensions: permessage-deflate; x=1\r\n"),
             Errc::bad_deflate_response},
    };
    for (const auto& [bytes, errc] : cases) {
        auto r = check(bytes);
        EXPECT_FALSE(r) << bytes;
        if (!r) {
            EXPECT_EQ(r.error(), make_error_code(errc)) << bytes;
        }
    }
    // The status line may omit its reason phrase, even the SP before it.
    HttpHeadReader reader({}, HttpHeadReader::Kind::response);
    std::string bare = "HTTP/1.1 404\r\n\r\n";
    std::span<char> in(bare);
    ASSERT_EQ(reader.feed(in), HttpHeadReader::Status::complete);
    EXPECT_EQ(reader.response().status, 404);
    EXPECT_EQ(reader.response().reason, "");
}

TEST(ClientHandshake, ClientEndpointOpensAndKeepsFramesSentBehindTheResponse) {
    Endpoint client({}, sample(), 0);
    EXPECT_EQ(client.state(), State::handshake);
    EXPECT_EQ(test::drain_output(client).rfind("GET /chat?x=1 HTTP/1.1\r\n", 0), 0U);
    EXPECT_EQ(client.send(MessageType::text, "early"), make_error_code(Errc::not_open));
    const std::string bytes = response() + test::frame(Opcode::text, "hi", true, false);
    for (std::size_t chunk = 1; chunk <= bytes.size(); ++chunk) {
        Endpoint c({}, sample(), 0);
        EXPECT_EQ(test::feed_split(c, bytes, chunk), (V{"open:chat", "text:hi"})) << chunk;
        EXPECT_EQ(c.state(), State::open);
        EXPECT_EQ(c.subprotocol(), "chat");
    }
}

TEST(ClientHandshake, ClientEndpointFailsWithTheStatusAtHand) {
    Endpoint client({}, sample(), 0);
    (void)test::drain_output(client);
    const auto events = test::feed_split(client, "HTTP/1.1 301 Moved\r\nLocation: ws://b/\r\n\r\n");
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(events[0].rfind("fail:", 0), 0U);
    EXPECT_TRUE(client.should_close_transport());
    EXPECT_EQ(test::drain_output(client), "");  // no close frame: it never opened
    ASSERT_NE(client.handshake_response(), nullptr);
    EXPECT_EQ(client.handshake_response()->status, 301);
    EXPECT_EQ(client.handshake_response()->header("Location"), "ws://b/");
}

TEST(ClientHandshake, AnOpenClientKeepsNoHandshakeState) {
    Endpoint client({}, sample(), 0);
    (void)test::drain_output(client);
    std::string bytes = response();
    client.feed(std::span<char>(bytes), 0);
    auto opened = client.next_event();
    ASSERT_TRUE(opened);
    EXPECT_EQ(test::describe(*opened), "open:chat");
    EXPECT_NE(client.handshake_response(), nullptr);  // still there while Opened is handled
    EXPECT_FALSE(client.next_event());
    EXPECT_EQ(client.handshake_response(), nullptr);  // freed once the connection is open
    EXPECT_EQ(client.subprotocol(), "chat");
    EXPECT_EQ(client.next_deadline(), Limits{}.idle_timeout_ms / 2);  // keepalive, no handshake
}

TEST(ClientHandshake, ClientEndpointTimesOut) {
    Endpoint client({.handshake_timeout_ms = 100}, sample(), 5);
    EXPECT_EQ(client.next_deadline(), 105);
    EXPECT_EQ(client.handle_timeout(105), make_error_code(Errc::handshake_timeout));
    EXPECT_TRUE(client.should_close_transport());
}

TEST(ClientHandshake, TalksToAServerEndpointInMemory) {
    Endpoint client({}, {.host = "h", .protocols = {"v2", "v1"}}, 0);
    HttpExchange exchange({}, 0);
    std::string request = test::drain_output(client);
    EXPECT_EQ(test::feed_split(exchange, request), (V{"upgrade:/"}));
    auto upgraded = exchange.accept({.subprotocol = "v1"}, 0);
    ASSERT_TRUE(upgraded);
    Endpoint& server = upgraded->endpoint;
    ASSERT_FALSE(server.send(MessageType::binary, std::string(70000, 'b')));
    EXPECT_EQ(test::feed_split(client, test::drain_output(server)), (V{"open:v1", "binary:70000"}));
    ASSERT_FALSE(client.send(MessageType::text, "masked by the client"));
    EXPECT_EQ(test::feed_split(server, test::drain_output(client)),
              (V{"text:masked by the client"}));
}

// RFC 7692 end to end in memory: the client's default offer, the server's policy, compressed
// messages both ways (RSV1 on the wire), every parameter combination a server policy can make.
TEST(ClientHandshake, NegotiatesPermessageDeflateWithAServerEndpointInMemory) {
    for (const bool shared : {false, true}) {
        for (const bool client_takeover : {false, true}) {
            for (const int bits : {9, 12, 15}) {
                ZlibMemory memory;
                SharedDeflater shared_deflater(8, -1, &memory);
                const DeflatePolicy policy{
                        .window_bits = bits,
                        .client_context_takeover = client_takeover,
                        .client_window_bits = bits,
                        .compressor = shared ? CompressorMode::shared : CompressorMode::dedicated};
                Endpoint client({}, {.host = "h"}, 0);
                HttpExchange exchange({}, 0);
                ASSERT_EQ(test::feed_split(exchange, test::drain_output(client)), (V{"upgrade:/"}));
                auto agreed = negotiate_deflate(exchange.upgrade_request()->extensions, policy);
                ASSERT_TRUE(agreed);
                auto upgraded = exchange.accept(
                        {.deflate = DeflateSetup{.agreement = *agreed,
                                                 .memory = &memory,
                                                 .shared = shared ? &shared_deflater : nullptr}},
                        0);
                ASSERT_TRUE(upgraded);
                Endpoint& server = upgraded->endpoint;
                const std::string json = R"({"id": 1, "name": "wsx", "tags": ["a", "b"]})";
                for (int i = 0; i < 3; ++i) {
                    ASSERT_FALSE(server.send(MessageType::text, json));
                }
                const std::string wire = test::drain_output(server);
                EXPECT_NE(wire.find("Sec-WebSocket-Extensions: permessage-deflate"),
                          std::string::npos);
                EXPECT_EQ(test::feed_split(client, wire),
                          (V{"open:", "text:" + json, "text:" + json, "text:" + json}));
                EXPECT_EQ(client.extensions(), server.extensions());
                ASSERT_FALSE(client.send(MessageType::binary, std::string(70000, 'b')));
                ASSERT_FALSE(client.send(MessageType::text, json));
                const std::string from_client = test::drain_output(client);
                EXPECT_LT(from_client.size(), 2000U);  // compressed
                EXPECT_EQ(test::feed_split(server, from_client, 7),
                          (V{"binary:70000", "text:" + json}));
                // No client context: the server's inflater holds nothing between messages.
                EXPECT_EQ(server.holds_inflate_state(), client_takeover);
            }
        }
    }
}

TEST(ClientHandshake, ADisabledOfferSendsNoExtensionsField) {
    ClientHandshake hs = sample();
    hs.deflate.enabled = false;
    EXPECT_EQ(build_client_request(hs).find("Sec-WebSocket-Extensions"), std::string::npos);
    auto r = check(response("Sec-WebSocket-Extensions: permessage-deflate\r\n"), hs);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(Errc::unoffered_extension));
}

}  // namespace
}  // namespace wsx::proto
