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

TEST(HttpExchange, EarlyFramesSurviveAMoveAndAFeedBeforeTheFirstEvent) {
    // The endpoint owns the early bytes, so it may be moved before its first next_event(); bytes
    // fed before then queue up behind them.
    HttpExchange ex({}, 0);
    std::string bytes = std::string(test::kRequest) + test::text("one");
    ex.feed(std::span<char>(bytes), 0);
    EXPECT_TRUE(ex.next_event());
    auto up = ex.accept({}, 0);
    ASSERT_TRUE(up);
    std::optional<Endpoint> moved(std::move(up->endpoint));
    EXPECT_EQ(test::feed_split(*moved, test::text("two")), (V{"text:one", "text:two"}));
}

TEST(HttpExchange, IdleTimeoutOfTheEndpointCountsFromTheLastByteReceived) {
    HttpExchange ex({.idle_timeout_ms = 1000}, 0);
    std::string request = test::kRequest;
    ex.feed(std::span<char>(request), 300);
    EXPECT_TRUE(ex.next_event());
    auto up = ex.accept({}, 900);
    ASSERT_TRUE(up);
    EXPECT_EQ(up->endpoint.next_deadline(), 300 + 500);  // the keepalive ping at half of it
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

TEST(HttpExchange, HeldInputPastTheHeadLimitCloses) {
    HttpExchange ex({.max_head_size = 100}, 0);
    EXPECT_EQ(test::feed_split(ex, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"), (V{"http:GET /a"}));
    EXPECT_EQ(test::feed_split(ex, std::string(100, 'x')), V{});  // held: at the limit
    EXPECT_EQ(ex.state(), HttpState::awaiting_answer);
    EXPECT_EQ(test::feed_split(ex, "y"), V{});  // one past it
    EXPECT_EQ(ex.state(), HttpState::closed);
}

// The state table of http_exchange.hpp, call by call: each call in each state either moves the
// exchange where the table says, or is refused with handshake_not_pending and changes nothing.
enum class At {
    reading_head,
    reading_body,
    awaiting_upgrade,
    awaiting_plain,
    responding,
    upgraded,
    closed
};

enum class Do { accept, reject, respond, begin_response, send_body, end_response, abort, count };

HttpExchange exchange_at(At at) {
    HttpExchange ex({}, 0);
    const char* plain = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n";
    switch (at) {
        case At::reading_head:
            break;
        case At::reading_body:
            (void)test::feed_split(ex, "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\na");
            break;
        case At::awaiting_upgrade:
            (void)test::feed_split(ex, test::kRequest);
            break;
        case At::awaiting_plain:
            (void)test::feed_split(ex, plain);
            break;
        case At::responding:
            (void)test::feed_split(ex, plain);
            EXPECT_FALSE(ex.begin_response("HTTP/1.1 200 OK\r\n\r\n", true));
            break;
        case At::upgraded:
            EXPECT_TRUE(test::upgrade(ex));
            break;
        case At::closed:
            ex.feed_eof();
            break;
    }
    (void)drain_output(ex);
    return ex;
}

std::error_code perform(HttpExchange& ex, Do call) {
    switch (call) {
        case Do::accept:
            return ex.accept({}, 0).error();
        case Do::reject:
            return ex.reject(403, "no");
        case Do::respond:
            return ex.respond("HTTP/1.1 204 No Content\r\n\r\n", true, 0);
        case Do::begin_response:
            return ex.begin_response("HTTP/1.1 200 OK\r\n\r\n", true);
        case Do::send_body:
            return ex.send_body("x");
        case Do::end_response:
            return ex.end_response(true, 0);
        case Do::abort:
        case Do::count:
            break;
    }
    ex.abort_response();
    return {};
}

TEST(HttpExchangeStates, EachCallInEachState) {
    using S = HttpState;
    constexpr std::optional<S> kRefused;

    struct Row {
        At at;
        S state;
        // accept, reject, respond, begin_response, send_body, end_response, abort_response
        std::array<std::optional<S>, static_cast<std::size_t>(Do::count)> after;
    };

    const Row rows[] = {
            {At::reading_head,
             S::reading_head,
             {kRefused, kRefused, kRefused, kRefused, kRefused, kRefused, kRefused}},
            {At::reading_body,
             S::reading_body,
             {kRefused, kRefused, kRefused, kRefused, kRefused, kRefused, kRefused}},
            {At::awaiting_upgrade,
             S::awaiting_answer,
             {S::upgraded, S::closed, S::reading_head, S::responding, kRefused, kRefused,
              kRefused}},
            {At::awaiting_plain,
             S::awaiting_answer,
             {kRefused, kRefused, S::reading_head, S::responding, kRefused, kRefused, kRefused}},
            {At::responding,
             S::responding,
             {kRefused, kRefused, kRefused, kRefused, S::responding, S::reading_head, S::closed}},
            {At::upgraded,
             S::upgraded,
             {kRefused, kRefused, kRefused, kRefused, kRefused, kRefused, kRefused}},
            {At::closed,
             S::closed,
             {kRefused, kRefused, kRefused, kRefused, kRefused, kRefused, kRefused}},
    };
    for (const Row& r : rows) {
        for (std::size_t i = 0; i < r.after.size(); ++i) {
            HttpExchange ex = exchange_at(r.at);
            ASSERT_EQ(ex.state(), r.state) << static_cast<int>(r.at);
            const auto call = static_cast<Do>(i);
            const std::error_code ec = perform(ex, call);
            const std::string where = "state " + std::to_string(static_cast<int>(r.at)) + " call "
                                      + std::to_string(i);
            if (r.after[i]) {
                EXPECT_FALSE(ec) << where;
                EXPECT_EQ(ex.state(), *r.after[i]) << where;
            } else {
                EXPECT_EQ(ec, call == Do::abort ? std::error_code() : kNotPending) << where;
                EXPECT_EQ(ex.state(), r.state) << where;
                EXPECT_EQ(drain_output(ex), "") << where;
            }
        }
    }
}

TEST(HttpExchangeStates, TheDeadlineRunsOnlyWhileARequestIsRead) {
    const std::pair<At, bool> rows[] = {
            {At::reading_head, true},    {At::reading_body, true}, {At::awaiting_upgrade, false},
            {At::awaiting_plain, false}, {At::responding, false},  {At::upgraded, false},
            {At::closed, false}};
    for (const auto& [at, timed] : rows) {
        HttpExchange ex = exchange_at(at);
        const HttpState before = ex.state();
        EXPECT_EQ(ex.next_deadline().has_value(), timed) << static_cast<int>(at);
        const std::error_code ec = ex.handle_timeout(1'000'000);
        EXPECT_EQ(ec, timed ? make_error_code(Errc::handshake_timeout) : std::error_code())
                << static_cast<int>(at);
        EXPECT_EQ(ex.state(), timed ? HttpState::closed : before) << static_cast<int>(at);
    }
}

TEST(HttpExchangeStates, InputIsReadHeldOrDiscarded) {
    // Held input is read once the answer is over; discarded input never is.
    const std::string next = "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
    for (At at : {At::awaiting_plain, At::responding}) {
        HttpExchange ex = exchange_at(at);
        EXPECT_EQ(test::feed_split(ex, next), V{}) << static_cast<int>(at);
        const std::error_code ec = at == At::responding
                                           ? ex.end_response(true, 0)
                                           : ex.respond("HTTP/1.1 204 No Content\r\n\r\n", true, 0);
        ASSERT_FALSE(ec);
        auto ev = ex.next_event();
        ASSERT_TRUE(ev) << static_cast<int>(at);
        EXPECT_EQ(test::describe(*ev), "http:GET /next");
    }
    for (At at : {At::upgraded, At::closed}) {
        HttpExchange ex = exchange_at(at);
        EXPECT_EQ(test::feed_split(ex, next), V{}) << static_cast<int>(at);
        EXPECT_EQ(drain_output(ex), "");
    }
    HttpExchange reading = exchange_at(At::reading_head);
    EXPECT_EQ(test::feed_split(reading, next), (V{"http:GET /next"}));
}

TEST(HttpExchangeStates, FeedEofClosesEveryState) {
    for (At at : {At::reading_head, At::reading_body, At::awaiting_upgrade, At::awaiting_plain,
                  At::responding, At::upgraded, At::closed}) {
        HttpExchange ex = exchange_at(at);
        ex.feed_eof();
        EXPECT_EQ(ex.state(), HttpState::closed) << static_cast<int>(at);
        EXPECT_TRUE(ex.should_close_transport());
        EXPECT_FALSE(ex.response_in_progress());
    }
}

}  // namespace
}  // namespace wsx::proto
