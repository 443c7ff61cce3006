#include "wsx/proto/endpoint.hpp"

#include <gtest/gtest.h>

#include "support/echo_harness.hpp"
#include "support/frames.hpp"

namespace wsx::proto {
namespace {

using V = std::vector<std::string>;
using test::drain_output;

TEST(Endpoint, OpeningHandshakeAcceptWrites101WithTheChosenSubprotocol) {
    Endpoint ep(Role::server, {}, 0);
    EXPECT_EQ(test::feed_split(ep, test::kRequest), (V{"upgrade:/echo"}));
    EXPECT_EQ(ep.accept({.subprotocol = "superchat"}), std::error_code());
    const std::string out = drain_output(ep);
    EXPECT_EQ(out.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0), 0U);
    EXPECT_NE(out.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
              std::string::npos);
    EXPECT_NE(out.find("Sec-WebSocket-Protocol: superchat\r\n"), std::string::npos);
    EXPECT_EQ(ep.state(), State::open);
    EXPECT_EQ(ep.subprotocol(), "superchat");
}

TEST(Endpoint, OnlyAnOfferedSubprotocolMayBeChosen) {
    // RFC 6455 §4.2.2: the server selects "one or none of the acceptable protocols".
    Endpoint ep(Role::server, {}, 0);
    (void)test::feed_split(ep, test::kRequest);
    EXPECT_EQ(ep.accept({.subprotocol = "mqtt"}), make_error_code(Errc::subprotocol_not_offered));
    EXPECT_EQ(ep.state(), State::handshake);
}

TEST(Endpoint, RequestSplitByteByByteGivesOneUpgradeEvent) {
    Endpoint ep(Role::server, {}, 0);
    EXPECT_EQ(test::feed_split(ep, test::kRequest, 1), (V{"upgrade:/echo"}));
}

TEST(Endpoint, RejectWritesTheStatusAndCloses) {
    Endpoint ep(Role::server, {}, 0);
    (void)test::feed_split(ep, test::kRequest);
    EXPECT_EQ(ep.reject(403, "forbidden origin"), std::error_code());
    EXPECT_EQ(drain_output(ep).rfind("HTTP/1.1 403 Forbidden\r\n", 0), 0U);
    EXPECT_TRUE(ep.should_close_transport());
}

TEST(Endpoint, MalformedRequestGetsAnErrorResponseAndFails) {
    Endpoint ep(Role::server, {}, 0);
    EXPECT_EQ(test::feed_split(ep, "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n"),
              (V{"fail:http400"}));
    const std::string out = drain_output(ep);
    EXPECT_EQ(out.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0U);
    EXPECT_TRUE(ep.should_close_transport());
}

TEST(Endpoint, PlainHttpRequestsAreAnsweredAndKeptAlive) {
    // RFC 9112 §9.3: requests may be pipelined; each is answered in order on the same connection.
    Endpoint ep(Role::server, {}, 0);
    const std::string two = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nHEAD /b HTTP/1.1\r\nHost: h\r\n\r\n";
    EXPECT_EQ(test::feed_split(ep, two), (V{"http:GET /a"}));
    EXPECT_EQ(ep.accept({}), make_error_code(Errc::handshake_not_pending));  // not an upgrade
    EXPECT_EQ(ep.next_deadline(), std::nullopt);  // the application is answering
    ASSERT_FALSE(ep.respond("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true, 5));
    EXPECT_EQ(ep.next_deadline(), 5 + Limits{}.handshake_timeout_ms);  // keep-alive timeout
    auto next = ep.next_event();
    ASSERT_TRUE(next);
    EXPECT_EQ(test::describe(*next), "http:HEAD /b");
    ASSERT_FALSE(ep.respond("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                            false, 6));
    EXPECT_TRUE(ep.should_close_transport());
    EXPECT_EQ(drain_output(ep).find("HTTP/1.1 200 OK"), 0U);
}

TEST(Endpoint, PlainRequestThenUpgradeOnTheSameConnection) {
    Endpoint ep(Role::server, {}, 0);
    EXPECT_EQ(test::feed_split(ep, "GET /page HTTP/1.1\r\nHost: h\r\n\r\n"), (V{"http:GET /page"}));
    ASSERT_FALSE(ep.respond("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", true, 0));
    EXPECT_EQ(test::feed_split(ep, test::kRequest), (V{"upgrade:/echo"}));
    EXPECT_FALSE(ep.accept({}));
    EXPECT_EQ(ep.state(), State::open);
}

// Feeds `bytes` in pieces of `chunk` and returns the body of the one plain request it holds.
std::string body_of(std::string_view bytes, std::size_t chunk) {
    Endpoint ep(Role::server, {}, 0);
    std::string body = "(no request)";
    std::string buffer;
    for (std::size_t pos = 0; pos < bytes.size(); pos += chunk) {
        buffer.assign(bytes.substr(pos, chunk));
        ep.feed(std::span<char>(buffer), 0);
        while (auto ev = ep.next_event()) {
            if (auto* h = std::get_if<HttpRequestReceived>(&*ev)) {
                body = h->request.body;
            }
        }
    }
    return body;
}

TEST(Endpoint, PlainRequestBodiesAreReadWholeAtEverySplit) {
    const std::string request =
            "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\nhello\r\nworld";
    for (std::size_t chunk = 1; chunk <= request.size(); ++chunk) {
        EXPECT_EQ(body_of(request, chunk), "hello\r\nworld") << "chunk " << chunk;
    }
    EXPECT_EQ(body_of("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", 100), "");
    // The event waits for the last byte of the body.
    Endpoint ep(Role::server, {}, 0);
    EXPECT_EQ(test::feed_split(ep, "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nab"),
              V{});
    EXPECT_EQ(test::feed_split(ep, "c"), (V{"http:POST /x"}));
}

TEST(Endpoint, ARequestPipelinedBehindABodyIsReadNext) {
    Endpoint ep(Role::server, {}, 0);
    EXPECT_EQ(test::feed_split(ep,
                               "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\n"
                               "GET GET /b HTTP/1.1\r\nHost: h\r\n\r\n"),
              (V{"http:POST /a"}));
    ASSERT_FALSE(ep.respond("HTTP/1.1 204 No Content\r\n\r\n", true, 0));
    auto next = ep.next_event();
    ASSERT_TRUE(next);
    EXPECT_EQ(test::describe(*next), "http:GET /b");
}

TEST(Endpoint, BodyFramingErrorsGetTheirStatus) {
    const std::pair<const char*, const char*> cases[] = {
            // RFC 9112 §6.3: chunked request bodies are not read (411); both fields: smuggling.
            {"Transfer-Encoding: chunked\r\n", "fail:http411"},
            {"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", "fail:http400"},
            {"Content-Length: 3\r\nContent-Length: 3\r\n", "fail:http400"},
            {"Content-Length: -1\r\n", "fail:http400"},
            {"Content-Length: 0x10\r\n", "fail:http400"},
            {"Content-Length: 1 2\r\n", "fail:http400"},
            {"Content-Length: 99999999999999999999\r\n", "fail:http400"},
            {"Content-Length: 1048577\r\n", "fail:http413"},  // one past the default limit
    };
    for (const auto& [fields, expected] : cases) {
        Endpoint ep(Role::server, {}, 0);
        EXPECT_EQ(test::feed_split(
                          ep, std::string("POST /x HTTP/1.1\r\nHost: h\r\n") + fields + "\r\n"),
                  (V{expected}))
                << fields;
        EXPECT_TRUE(ep.should_close_transport());
    }
    Endpoint at_limit(Role::server, {.max_request_body = 3}, 0);
    EXPECT_EQ(test::feed_split(at_limit,
                               "PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"),
              (V{"http:PUT /x"}));
    // An upgrade request still may not carry a body.
    Endpoint upgrade(Role::server, {}, 0);
    std::string request = test::kRequest;
    request.insert(request.size() - 2, "Content-Length: 1\r\n");
    EXPECT_EQ(test::feed_split(upgrade, request), (V{"fail:http400"}));
}

TEST(Endpoint, ExpectContinueIsAnsweredBeforeTheBody) {
    // RFC 9110 §10.1.1.
    Endpoint ep(Role::server, {}, 0);
    EXPECT_EQ(test::feed_split(ep,
                               "POST /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                               "Content-Length: 2\r\n\r\n"),
              V{});
    EXPECT_EQ(drain_output(ep), "HTTP/1.1 100 Continue\r\n\r\n");
    EXPECT_EQ(test::feed_split(ep, "ok"), (V{"http:POST /x"}));
    // Not for HTTP/1.0 (it has no 1xx), and not without a body.
    for (const char* request :
         {"POST /x HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
          "POST /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n"}) {
        Endpoint other(Role::server, {}, 0);
        (void)test::feed_split(other, request);
        EXPECT_EQ(drain_output(other), "") << request;
    }
}

TEST(Endpoint, AStreamedResponseIsChunkedAndHoldsTheNextRequest) {
    Endpoint ep(Role::server, {}, 0);
    EXPECT_EQ(test::feed_split(
                      ep, "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n"),
              (V{"http:GET /a"}));
    EXPECT_EQ(ep.send_body("x"), make_error_code(Errc::handshake_not_pending));
    ASSERT_FALSE(ep.begin_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true));
    EXPECT_TRUE(ep.response_in_progress());
    EXPECT_FALSE(ep.next_event());  // /b waits for the end of /a's body
    EXPECT_EQ(ep.next_deadline(), std::nullopt);
    ASSERT_FALSE(ep.send_body(std::string(26, 'z')));
    ASSERT_FALSE(ep.send_body(""));  // nothing: an empty chunk would end the body
    ASSERT_FALSE(ep.send_body("!"));
    ASSERT_FALSE(ep.end_response(true, 7));
    EXPECT_EQ(drain_output(ep),
              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
              "1a\r\nzzzzzzzzzzzzzzzzzzzzzzzzzz\r\n1\r\n!\r\n0\r\n\r\n");
    EXPECT_EQ(ep.next_deadline(), 7 + Limits{}.handshake_timeout_ms);
    auto next = ep.next_event();
    ASSERT_TRUE(next);
    EXPECT_EQ(test::describe(*next), "http:GET /b");
    // Unchunked, and closing at the end.
    ASSERT_FALSE(ep.begin_response("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", false));
    ASSERT_FALSE(ep.send_body("raw"));
    ASSERT_FALSE(ep.end_response(false, 8));
    EXPECT_EQ(drain_output(ep), "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nraw");
    EXPECT_TRUE(ep.should_close_transport());
    EXPECT_EQ(ep.end_response(true, 9), make_error_code(Errc::handshake_not_pending));
}

TEST(Endpoint, Http10RequestsNeedNoHost) {
    Endpoint ep(Role::server, {}, 0);
    EXPECT_EQ(test::feed_split(ep, "GET / HTTP/1.0\r\n\r\n"), (V{"http:GET /"}));
    Endpoint ep11(Role::server, {}, 0);
    EXPECT_EQ(test::feed_split(ep11, "GET / HTTP/1.1\r\n\r\n"), (V{"fail:http400"}));
}

TEST(Endpoint, FramesSentRightBehindTheRequestAreKept) {
    Endpoint ep(Role::server, {}, 0);
    const std::string bytes = std::string(test::kRequest) + test::text("early");
    EXPECT_EQ(test::feed_split(ep, bytes), (V{"upgrade:/echo"}));
    ASSERT_FALSE(ep.accept({}));
    auto ev = ep.next_event();
    ASSERT_TRUE(ev);
    EXPECT_EQ(test::describe(*ev), "text:early");
}

// RFC 6455 §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response
// ... The Pong frame ... MUST have identical "Application data" as found in the message body of the
// Ping frame being replied to."
TEST(Endpoint, PingIsAnsweredWithAPongCarryingTheSamePayload) {
    auto run = test::run_echo(test::frame(Opcode::ping, "payload-123"));
    EXPECT_EQ(run.sent, (V{"pong:payload-123"}));
}

TEST(Endpoint, UnsolicitedPongIsIgnored) {
    auto run = test::run_echo(test::frame(Opcode::pong, "x") + test::text("after"));
    EXPECT_EQ(run.sent, (V{"text:after"}));
}

// RFC 6455 §5.5.1 / §7: closing handshake.
TEST(Endpoint, PeerInitiatedCloseIsEchoedAndClean) {
    auto run = test::run_echo(test::close_frame(1000, "bye") + test::text("ignored"));
    EXPECT_EQ(run.sent, (V{"close:1000"}));
    EXPECT_EQ(run.state, State::closed);
    EXPECT_TRUE(run.info.was_clean);
    EXPECT_EQ(run.info.code, 1000);
    EXPECT_EQ(run.info.reason, "bye");
    EXPECT_EQ(run.info.initiator, CloseInfo::Initiator::peer);
}

TEST(Endpoint, TheApplicationMayChooseTheReplyToAPeersClose) {
    // pywebsocket's passive closing handshake: the handler picks the code it answers with.
    Endpoint ep = test::open_server();
    std::string bytes = test::close_frame(1001, "leaving");
    ep.feed(std::span<char>(bytes), 0);
    auto ev = ep.next_event();
    ASSERT_TRUE(ev);
    EXPECT_EQ(test::describe(*ev), "close:1001:leaving");
    EXPECT_FALSE(ep.close(4001, "as you wish", 0));
    EXPECT_FALSE(ep.next_event());
    EXPECT_EQ(test::decode_server_output(drain_output(ep)), (V{"close:4001"}));
    EXPECT_EQ(ep.close(1000, "", 0), make_error_code(Errc::not_open));  // only one reply
}

TEST(Endpoint, ServerInitiatedCloseWaitsForThePeer) {
    Endpoint ep = test::open_server();
    ASSERT_FALSE(ep.close(1000, "done", 100));
    EXPECT_EQ(ep.state(), State::closing);
    EXPECT_EQ(test::decode_server_output(drain_output(ep)), (V{"close:1000"}));
    // §5.5.1: "After sending a Close frame, the endpoint MUST NOT send any more data frames."
    EXPECT_EQ(ep.send(MessageType::text, "late"), make_error_code(Errc::not_open));
    EXPECT_EQ(ep.next_deadline(), 100 + Limits{}.closing_timeout_ms);
    EXPECT_EQ(test::feed_split(ep, test::close_frame(1000)), (V{"close:1000:"}));
    EXPECT_TRUE(ep.should_close_transport());
    EXPECT_TRUE(ep.close_info().was_clean);
    EXPECT_EQ(ep.close_info().initiator, CloseInfo::Initiator::local);
    EXPECT_EQ(drain_output(ep), "");  // no second close frame
}

TEST(Endpoint, ClosingTimeoutDropsTheConnection) {
    Endpoint ep = test::open_server();
    ASSERT_FALSE(ep.close(1001, "", 0));
    EXPECT_FALSE(ep.handle_timeout(Limits{}.closing_timeout_ms - 1));
    EXPECT_EQ(ep.state(), State::closing);
    EXPECT_FALSE(ep.handle_timeout(Limits{}.closing_timeout_ms));
    EXPECT_EQ(ep.state(), State::closed);
    EXPECT_FALSE(ep.close_info().was_clean);
}

TEST(Endpoint, ProtocolViolationSendsTheRfcCodeAndDiscardsTheRest) {
    auto run = test::run_echo(test::frame(Opcode::text, "x", true, false) + test::text("never"));
    EXPECT_EQ(run.sent, (V{"close:1002"}));
    EXPECT_EQ(run.state, State::closed);
    EXPECT_EQ(run.info.code, 1006);
    EXPECT_EQ(run.info.sent_code, 1002);
}

TEST(Endpoint, CloseCodesTheApplicationMayNotSendAreRefused) {
    Endpoint ep = test::open_server();
    EXPECT_EQ(ep.close(1006, "", 0), make_error_code(Errc::invalid_close_code_to_send));
    EXPECT_EQ(ep.close(1000, std::string(124, 'x'), 0),
              make_error_code(Errc::close_reason_too_long));
    EXPECT_EQ(ep.state(), State::open);
    EXPECT_EQ(ep.ping(std::string(126, 'p')), make_error_code(Errc::control_payload_too_long));
}

// Timers: the core never reads a clock; deadlines come out, time goes in.
TEST(Endpoint, HandshakeTimeout) {
    Endpoint ep(Role::server, {.handshake_timeout_ms = 500}, 1000);
    EXPECT_EQ(ep.next_deadline(), 1500);
    (void)test::feed_split(ep, "GET / HT");
    EXPECT_FALSE(ep.handle_timeout(1499));
    EXPECT_EQ(ep.handle_timeout(1500), make_error_code(Errc::handshake_timeout));
    EXPECT_TRUE(ep.should_close_transport());
}

TEST(Endpoint, KeepalivePingAfterHalfTheIdleTimeoutThenClose1001) {
    Endpoint ep = test::open_server({.idle_timeout_ms = 1000});
    EXPECT_EQ(ep.next_deadline(), 500);
    EXPECT_FALSE(ep.handle_timeout(500));
    EXPECT_EQ(test::decode_server_output(drain_output(ep)), (V{"ping:"}));
    EXPECT_EQ(ep.next_deadline(), 1000);
    EXPECT_EQ(ep.handle_timeout(1000), make_error_code(Errc::idle_timeout));
    EXPECT_EQ(test::decode_server_output(drain_output(ep)), (V{"close:1001"}));
}

TEST(Endpoint, APongKeepsTheConnectionAlive) {
    Endpoint ep = test::open_server({.idle_timeout_ms = 1000});
    EXPECT_FALSE(ep.handle_timeout(500));
    drain_output(ep);
    std::string pong = test::frame(Opcode::pong, "");
    ep.feed(std::span<char>(pong), 900);
    while (ep.next_event()) {
    }
    EXPECT_EQ(ep.next_deadline(), 1400);
    EXPECT_FALSE(ep.handle_timeout(1000));
    EXPECT_EQ(ep.state(), State::open);
}

// Client role: masks every frame it sends, rejects masked frames (client <-> server in memory).
TEST(Endpoint, ClientAndServerCoresTalkInMemory) {
    Endpoint server = test::open_server();
    Endpoint client(Role::client, {}, 0);
    ASSERT_FALSE(client.send(MessageType::text, "from client"));
    ASSERT_FALSE(client.send(MessageType::binary, std::string(70000, 'b')));
    std::string wire = drain_output(client);
    EXPECT_EQ(test::feed_split(server, wire, 1000), (V{"text:from client", "binary:70000"}));
    ASSERT_FALSE(server.send(MessageType::text, "from server"));
    ASSERT_FALSE(server.close(1000, "bye", 0));
    wire = drain_output(server);
    EXPECT_EQ(test::feed_split(client, wire), (V{"text:from server", "close:1000:bye"}));
    wire = drain_output(client);  // the client's reply
    EXPECT_EQ(test::feed_split(server, wire), (V{"close:1000:"}));
    EXPECT_TRUE(server.close_info().was_clean);
    EXPECT_TRUE(client.close_info().was_clean);
}

}  // namespace
}  // namespace wsx::proto
