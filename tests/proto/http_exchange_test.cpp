#include "wsx/proto/http_exchange.hpp"

#include <gtest/gtest.h>

#include "support/frames.hpp"

namespace wsx::proto {
namespace {

using V = std::vector<std::string>;
using test::drain_output;

const std::error_code kNotPending = make_error_code(Errc::handshake_not_pending);

TEST(HttpExchange, OpeningHandshakeAcceptWrites101WithTheChosenSubprotocol) {
    HttpExchange ex({}, 0);
    EXPECT_EQ(test::feed_split(ex, test::kRequest), (V{"upgrade:/echo"}));
    auto up = ex.accept({.subprotocol = "superchat"}, 0);
    ASSERT_TRUE(up);
    EXPECT_EQ(ex.state(), HttpState::upgraded);
    EXPECT_TRUE(ex.output().empty());  // the endpoint owns the output now
    const std::string out = drain_output(up->endpoint);
    EXPECT_EQ(out.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0), 0U);
    EXPECT_NE(out.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
              std::string::npos);
    EXPECT_NE(out.find("Sec-WebSocket-Protocol: superchat\r\n"), std::string::npos);
    EXPECT_EQ(up->endpoint.state(), State::open);
    EXPECT_EQ(up->endpoint.role(), Role::server);
    EXPECT_EQ(up->endpoint.subprotocol(), "superchat");
    EXPECT_EQ(up->request.path(), "/echo");  // the request goes to the caller
    EXPECT_EQ(up->request.http.header("Origin"), "http://localhost:9998");
}

TEST(HttpExchange, OnlyAnOfferedSubprotocolMayBeChosen) {
    // RFC 6455 §4.2.2: the server selects "one or none of the acceptable protocols".
    HttpExchange ex({}, 0);
    (void)test::feed_split(ex, test::kRequest);
    EXPECT_EQ(ex.accept({.subprotocol = "mqtt"}, 0).error(),
              make_error_code(Errc::subprotocol_not_offered));
    EXPECT_EQ(ex.state(), HttpState::awaiting_answer);
    ASSERT_NE(ex.upgrade_request(), nullptr);  // still there to be answered
    EXPECT_TRUE(ex.accept({.subprotocol = "chat"}, 0));
}

TEST(HttpExchange, RequestSplitByteByByteGivesOneUpgradeEvent) {
    HttpExchange ex({}, 0);
    EXPECT_EQ(test::feed_split(ex, test::kRequest, 1), (V{"upgrade:/echo"}));
}

TEST(HttpExchange, RejectWritesTheStatusAndCloses) {
    HttpExchange ex({}, 0);
    (void)test::feed_split(ex, test::kRequest);
    EXPECT_EQ(ex.reject(403, "forbidden origin"), std::error_code());
    EXPECT_EQ(drain_output(ex).rfind("HTTP/1.1 403 Forbidden\r\n", 0), 0U);
    EXPECT_TRUE(ex.should_close_transport());
}

TEST(HttpExchange, MalformedRequestGetsAnErrorResponseAndFails) {
    HttpExchange ex({}, 0);
    EXPECT_EQ(test::feed_split(ex, "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n"),
              (V{"fail:http400"}));
    const std::string out = drain_output(ex);
    EXPECT_EQ(out.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0U);
    EXPECT_TRUE(ex.should_close_transport());
}

TEST(HttpExchange, PlainHttpRequestsAreAnsweredAndKeptAlive) {
    // RFC 9112 §9.3: requests may be pipelined; each is answered in order on the same connection.
    HttpExchange ex({}, 0);
    const std::string two = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nHEAD /b HTTP/1.1\r\nHost: h\r\n\r\n";
    EXPECT_EQ(test::feed_split(ex, two), (V{"http:GET /a"}));
    EXPECT_EQ(ex.accept({}, 0).error(), kNotPending);  // not an upgrade
    EXPECT_EQ(ex.next_deadline(), std::nullopt);       // the application is answering
    ASSERT_FALSE(ex.respond("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true, 5));
    EXPECT_EQ(ex.next_deadline(), 5 + Limits{}.handshake_timeout_ms);  // keep-alive timeout
    auto next = ex.next_event();
    ASSERT_TRUE(next);
    EXPECT_EQ(test::describe(*next), "http:HEAD /b");
    ASSERT_FALSE(ex.respond("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                            false, 6));
    EXPECT_TRUE(ex.should_close_transport());
    EXPECT_EQ(drain_output(ex).find("HTTP/1.1 200 OK"), 0U);
}

TEST(HttpExchange, PlainRequestThenUpgradeOnTheSameConnection) {
    HttpExchange ex({}, 0);
    EXPECT_EQ(test::feed_split(ex, "GET /page HTTP/1.1\r\nHost: h\r\n\r\n"), (V{"http:GET /page"}));
    ASSERT_FALSE(ex.respond("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", true, 0));
    EXPECT_EQ(test::feed_split(ex, test::kRequest), (V{"upgrade:/echo"}));
    auto up = ex.accept({}, 0);
    ASSERT_TRUE(up);
    EXPECT_EQ(up->endpoint.state(), State::open);
    // The 404 not yet written goes first, then the 101.
    EXPECT_EQ(drain_output(up->endpoint).rfind("HTTP/1.1 404 Not Found\r\n", 0), 0U);
}

// Feeds `bytes` in pieces of `chunk` and returns the body of the one plain request it holds.
std::string body_of(std::string_view bytes, std::size_t chunk) {
    HttpExchange ex({}, 0);
    std::string body = "(no request)";
    std::string buffer;
    for (std::size_t pos = 0; pos < bytes.size(); pos += chunk) {
        buffer.assign(bytes.substr(pos, chunk));
        ex.feed(std::span<char>(buffer), 0);
        while (auto ev = ex.next_event()) {
            if (auto* h = std::get_if<HttpRequestReceived>(&*ev)) {
                body = h->request.body;
            }
        }
    }
    return body;
}

TEST(HttpExchange, PlainRequestBodiesAreReadWholeAtEverySplit) {
    const std::string request =
            "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\nhello\r\nworld";
    for (std::size_t chunk = 1; chunk <= request.size(); ++chunk) {
        EXPECT_EQ(body_of(request, chunk), "hello\r\nworld") << "chunk " << chunk;
    }
    EXPECT_EQ(body_of("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", 100), "");
    // The event waits for the last byte of the body.
    HttpExchange ex({}, 0);
    EXPECT_EQ(test::feed_split(ex, "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nab"),
              V{});
    EXPECT_EQ(ex.state(), HttpState::reading_body);
    EXPECT_EQ(test::feed_split(ex, "c"), (V{"http:POST /x"}));
}

TEST(HttpExchange, ARequestPipelinedBehindABodyIsReadNext) {
    HttpExchange ex({}, 0);
    EXPECT_EQ(test::feed_split(ex,
                               "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\n"
                               "GET GET /b HTTP/1.1\r\nHost: h\r\n\r\n"),
              (V{"http:POST /a"}));
    ASSERT_FALSE(ex.respond("HTTP/1.1 204 No Content\r\n\r\n", true, 0));
    auto next = ex.next_event();
    ASSERT_TRUE(next);
    EXPECT_EQ(test::describe(*next), "http:GET /b");
}

TEST(HttpExchange, BodyFramingErrorsGetTheirStatus) {
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
        HttpExchange ex({}, 0);
        EXPECT_EQ(test::feed_split(
                          ex, std::string("POST /x HTTP/1.1\r\nHost: h\r\n") + fields + "\r\n"),
                  (V{expected}))
                << fields;
        EXPECT_TRUE(ex.should_close_transport());
    }
    HttpExchange at_limit({.max_request_body = 3}, 0);
    EXPECT_EQ(test::feed_split(at_limit,
                               "PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"),
              (V{"http:PUT /x"}));
    // An upgrade request still may not carry a body.
    HttpExchange upgrade({}, 0);
    std::string request = test::kRequest;
    request.insert(request.size() - 2, "Content-Length: 1\r\n");
    EXPECT_EQ(test::feed_split(upgrade, request), (V{"fail:http400"}));
}

TEST(HttpExchange, ExpectContinueIsAnsweredBeforeTheBody) {
    // RFC 9110 §10.1.1.
    HttpExchange ex({}, 0);
    EXPECT_EQ(test::feed_split(ex,
                               "POST /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                               "Content-Length: 2\r\n\r\n"),
              V{});
    EXPECT_EQ(drain_output(ex), "HTTP/1.1 100 Continue\r\n\r\n");
    EXPECT_EQ(test::feed_split(ex, "ok"), (V{"http:POST /x"}));
    // Not for HTTP/1.0 (it has no 1xx), and not without a body.
    for (const char* request :
         {"POST /x HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
          "POST /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n"}) {
        HttpExchange other({}, 0);
        (void)test::feed_split(other, request);
        EXPECT_EQ(drain_output(other), "") << request;
    }
}

TEST(HttpExchange, AStreamedResponseIsChunkedAndHoldsTheNextRequest) {
    HttpExchange ex({}, 0);
    EXPECT_EQ(test::feed_split(
                      ex, "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n"),
              (V{"http:GET /a"}));
    EXPECT_EQ(ex.send_body("x"), kNotPending);
    ASSERT_FALSE(ex.begin_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true));
    EXPECT_TRUE(ex.response_in_progress());
    EXPECT_FALSE(ex.next_event());  // /b waits for the end of /a's body
    EXPECT_EQ(ex.next_deadline(), std::nullopt);
    ASSERT_FALSE(ex.send_body(std::string(26, 'z')));
    ASSERT_FALSE(ex.send_body(""));  // nothing: an empty chunk would end the body
    ASSERT_FALSE(ex.send_body("!"));
    ASSERT_FALSE(ex.end_response(true, 7));
    EXPECT_EQ(drain_output(ex),
              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
              "1a\r\nzzzzzzzzzzzzzzzzzzzzzzzzzz\r\n1\r\n!\r\n0\r\n\r\n");
    EXPECT_EQ(ex.next_deadline(), 7 + Limits{}.handshake_timeout_ms);
    auto next = ex.next_event();
    ASSERT_TRUE(next);
    EXPECT_EQ(test::describe(*next), "http:GET /b");
    // Unchunked, and closing at the end.
    ASSERT_FALSE(ex.begin_response("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", false));
    ASSERT_FALSE(ex.send_body("raw"));
    ASSERT_FALSE(ex.end_response(false, 8));
    EXPECT_EQ(drain_output(ex), "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nraw");
    EXPECT_TRUE(ex.should_close_transport());
    EXPECT_EQ(ex.end_response(true, 9), kNotPending);
}

TEST(HttpExchange, Http10RequestsNeedNoHost) {
    HttpExchange ex({}, 0);
    EXPECT_EQ(test::feed_split(ex, "GET / HTTP/1.0\r\n\r\n"), (V{"http:GET /"}));
    HttpExchange ex11({}, 0);
    EXPECT_EQ(test::feed_split(ex11, "GET / HTTP/1.1\r\n\r\n"), (V{"fail:http400"}));
}

TEST(HttpExchange, FramesSentRightBehindTheRequestAreKept) {
    HttpExchange ex({}, 0);
    const std::string bytes = std::string(test::kRequest) + test::text("early");
    EXPECT_EQ(test::feed_split(ex, bytes), (V{"upgrade:/echo"}));
    auto up = ex.accept({}, 0);
    ASSERT_TRUE(up);
    auto ev = up->endpoint.next_event();
    ASSERT_TRUE(ev);
    EXPECT_EQ(test::describe(*ev), "text:early");
}

// Timers: the core never reads a clock; deadlines come out, time goes in.
TEST(HttpExchange, HandshakeTimeout) {
    HttpExchange ex({.handshake_timeout_ms = 500}, 1000);
    EXPECT_EQ(ex.next_deadline(), 1500);
    (void)test::feed_split(ex, "GET / HT");
    EXPECT_FALSE(ex.handle_timeout(1499));
    EXPECT_EQ(ex.handle_timeout(1500), make_error_code(Errc::handshake_timeout));
    EXPECT_TRUE(ex.should_close_transport());
    EXPECT_EQ(drain_output(ex), "");  // dropped, not answered
}

}  // namespace
}  // namespace wsx::proto
