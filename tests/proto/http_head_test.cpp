#include "wsx/proto/http_head.hpp"

#include <string>

#include <gtest/gtest.h>

#include "wsx/proto/errc.hpp"

#include "support/frames.hpp"

namespace wsx::proto {
namespace {

struct Outcome {
    HttpHeadReader::Status status;
    std::error_code error;
    std::size_t left;  // bytes after the head
    HttpRequest request;
};

Outcome read_head(std::string bytes, const Limits& limits = {}, std::size_t chunk = 0) {
    HttpHeadReader r(limits);
    Outcome out{HttpHeadReader::Status::need_more, {}, 0, {}};
    if (chunk == 0) {
        chunk = std::max<std::size_t>(bytes.size(), 1);
    }
    for (std::size_t pos = 0; pos < bytes.size(); pos += chunk) {
        std::span<char> in =
                std::span<char>(bytes).subspan(pos, std::min(chunk, bytes.size() - pos));
        out.status = r.feed(in);
        out.left = in.size();
        if (out.status != HttpHeadReader::Status::need_more) {
            break;
        }
    }
    out.error = r.error();
    if (out.status == HttpHeadReader::Status::complete) {
        out.request = r.request();
    }
    return out;
}

TEST(HttpHeadReader, ParsesARequestAndLeavesWhatFollows) {
    auto o = read_head(std::string(test::kRequest) + "tail");
    ASSERT_EQ(o.status, HttpHeadReader::Status::complete);
    EXPECT_EQ(o.left, 4U);
    EXPECT_EQ(o.request.method, "GET");
    EXPECT_EQ(o.request.path(), "/echo");
    EXPECT_EQ(o.request.query(), "x=1");
    EXPECT_EQ(o.request.header("sec-websocket-key"), "dGhlIHNhbXBsZSBub25jZQ==");
    EXPECT_EQ(o.request.header("HOST"), "localhost:9998");
}

// Everything a reader reports about a head, as text: two outcomes are the same head when their
// descriptions are equal.
std::string describe(const Outcome& o) {
    std::string s = std::to_string(static_cast<int>(o.status)) + " " + o.error.message() + " left "
                    + std::to_string(o.left) + "\n" + o.request.method + " " + o.request.target
                    + " " + o.request.version + "\n";
    for (const auto& h : o.request.headers) {
        s += "[" + h.name + "]=[" + h.value + "]\n";
    }
    return s + "body [" + o.request.body + "]";
}

TEST(HttpHeadReader, ByteByByteEqualsWhole) {
    auto whole = read_head(test::kRequest);
    auto bytes = read_head(test::kRequest, {}, 1);
    ASSERT_EQ(bytes.status, HttpHeadReader::Status::complete);
    EXPECT_EQ(bytes.request.headers.size(), whole.request.headers.size());
    EXPECT_EQ(bytes.request.target, whole.request.target);
    // The same head, field by field: every name and value, not only how many there are.
    ASSERT_EQ(whole.status, HttpHeadReader::Status::complete);
    ASSERT_GE(whole.request.headers.size(), 5U);
    EXPECT_EQ(describe(bytes), describe(whole));
    for (std::size_t i = 0; i < whole.request.headers.size(); ++i) {
        EXPECT_EQ(bytes.request.headers[i].name, whole.request.headers[i].name) << i;
        EXPECT_EQ(bytes.request.headers[i].value, whole.request.headers[i].value) << i;
    }
    for (std::size_t chunk = 2; chunk < 40; ++chunk) {
        EXPECT_EQ(describe(read_head(test::kRequest, {}, chunk)), describe(whole)) << chunk;
    }
}

TEST(HttpHeadReader, TrimsOptionalWhitespaceAroundValues) {
    auto o = read_head("GET / HTTP/1.1\r\nHost: \t a b \t\r\n\r\n");
    ASSERT_EQ(o.status, HttpHeadReader::Status::complete);
    EXPECT_EQ(o.request.header("Host"), "a b");
}

struct Bad {
    const char* name;
    std::string head;
    Errc expected;
};

TEST(HttpHeadReader, RejectsMalformedHeads) {
    const std::vector<Bad> cases = {
            {"bare LF", "GET / HTTP/1.1\nHost: a\r\n\r\n", Errc::bad_line_ending},
            {"bare CR", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", Errc::bad_line_ending},
            {"NUL", std::string("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 28), Errc::forbidden_byte},
            {"control byte", "GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", Errc::forbidden_byte},
            {"DEL", "GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n", Errc::forbidden_byte},
            {"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n", Errc::obs_fold},
            {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", Errc::bad_header_field},
            {"no colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", Errc::bad_header_field},
            {"empty name", "GET / HTTP/1.1\r\n: a\r\n\r\n", Errc::bad_header_field},
            {"two spaces", "GET  / HTTP/1.1\r\n\r\n", Errc::bad_request_line},
            {"no version", "GET /\r\n\r\n", Errc::bad_request_line},
            {"bad version", "GET / HTTX/1.1\r\n\r\n", Errc::bad_request_line},
            {"empty first line", "\r\nGET / HTTP/1.1\r\n\r\n", Errc::bad_request_line},
            {"fragment", "GET /a#b HTTP/1.1\r\n\r\n", Errc::bad_request_target},
            {"absolute form", "GET http://x/ HTTP/1.1\r\n\r\n", Errc::bad_request_target},
            {"non-ascii target", "GET /\xC3\xA9 HTTP/1.1\r\n\r\n", Errc::bad_request_target},
    };
    for (const auto& c : cases) {
        auto o = read_head(c.head);
        EXPECT_EQ(o.status, HttpHeadReader::Status::error) << c.name;
        EXPECT_EQ(o.error, make_error_code(c.expected)) << c.name;
        EXPECT_EQ(http_status_for(o.error), 400) << c.name;
    }
}

std::string head_with_headers(std::size_t count, std::size_t value_size = 1) {
    std::string h = "GET / HTTP/1.1\r\n";
    for (std::size_t i = 0; i < count; ++i) {
        h += "X-" + std::to_string(i) + ": " + std::string(value_size, 'v') + "\r\n";
    }
    return h + "\r\n";
}

// Each limit at limit - 1, limit, limit + 1.
TEST(HttpHeadReader, HeaderCountLimit) {
    const Limits limits{.max_header_count = 10};
    EXPECT_EQ(read_head(head_with_headers(9), limits).status, HttpHeadReader::Status::complete);
    EXPECT_EQ(read_head(head_with_headers(10), limits).status, HttpHeadReader::Status::complete);
    auto o = read_head(head_with_headers(11), limits);
    EXPECT_EQ(o.error, make_error_code(Errc::too_many_headers));
    EXPECT_EQ(http_status_for(o.error), 431);
}

TEST(HttpHeadReader, LineSizeLimit) {
    const Limits limits{.max_line_size = 100};
    auto line = [](std::size_t n) {
        return "GET / HTTP/1.1\r\nX: " + std::string(n - 3, 'v') + "\r\n\r\n";
    };
    EXPECT_EQ(read_head(line(99), limits).status, HttpHeadReader::Status::complete);
    EXPECT_EQ(read_head(line(100), limits).status, HttpHeadReader::Status::complete);
    auto o = read_head(line(101), limits);
    EXPECT_EQ(o.error, make_error_code(Errc::line_too_long));
    EXPECT_EQ(http_status_for(o.error), 431);
}

TEST(HttpHeadReader, HeadSizeLimit) {
    const std::string head = head_with_headers(3, 10);
    const Limits exact{.max_head_size = head.size()};
    EXPECT_EQ(read_head(head, exact).status, HttpHeadReader::Status::complete);
    const Limits under{.max_head_size = head.size() - 1};
    auto o = read_head(head, under);
    EXPECT_EQ(o.error, make_error_code(Errc::head_too_large));
    EXPECT_EQ(http_status_for(o.error), 431);
}

TEST(HttpHeadReader, AHeaderFloodIsRefusedWithoutBufferingIt) {
    // A client streaming header lines forever is cut off at the limit, not when memory runs out.
    std::string flood = "GET / HTTP/1.1\r\n";
    while (flood.size() < 200'000) {
        flood += "X-Flood: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    }
    auto o = read_head(flood, {}, 4096);
    EXPECT_EQ(o.status, HttpHeadReader::Status::error);
    EXPECT_EQ(http_status_for(o.error), 431);
}

TEST(HttpHeadReader, TokenPredicates) {
    EXPECT_TRUE(is_token("Sec-WebSocket-Key"));
    EXPECT_TRUE(is_token("!#$%&'*+-.^_`|~09azAZ"));
    EXPECT_FALSE(is_token(""));
    EXPECT_FALSE(is_token("a b"));
    EXPECT_FALSE(is_token("a/b"));
    EXPECT_TRUE(iequals("Upgrade", "uPGRADE"));
    EXPECT_FALSE(iequals("Upgrade", "Upgrad"));
}

TEST(RequestHead, FormattedAndParsedAgainIsTheSameRequest) {
    const std::string received =
            "GET /chat?room=1 HTTP/1.1\r\nHost: example.com\r\nUpgrade:websocket\r\n"
            "Connection:  Upgrade \r\nX-Empty:\r\nSec-WebSocket-Protocol: a\r\n"
            "Sec-WebSocket-Protocol: b\r\n\r\n";
    auto first = parse_request_head(received, {});
    ASSERT_TRUE(first) << first.error().message();
    const std::string kept = format_request_head(*first);
    EXPECT_EQ(kept.capacity(), kept.size());  // no slack kept per connection
    EXPECT_EQ(kept,
              "GET /chat?room=1 HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n"
              "Connection: Upgrade\r\nX-Empty: \r\nSec-WebSocket-Protocol: a\r\n"
              "Sec-WebSocket-Protocol: b\r\n\r\n");
    auto again = parse_request_head(kept, {});
    ASSERT_TRUE(again);
    EXPECT_EQ(again->method, "GET");
    EXPECT_EQ(again->path(), "/chat");
    EXPECT_EQ(again->query(), "room=1");
    ASSERT_EQ(again->headers.size(), first->headers.size());
    for (std::size_t i = 0; i < again->headers.size(); ++i) {
        EXPECT_EQ(again->headers[i].name, first->headers[i].name);
        EXPECT_EQ(again->headers[i].value, first->headers[i].value);
    }
    EXPECT_EQ(again->joined_header("sec-websocket-protocol"), "a, b");
}

TEST(RequestHead, ParseRefusesAnIncompleteOrOversizedHead) {
    auto cut = parse_request_head("GET / HTTP/1.1\r\nHost: h\r\n", {});
    ASSERT_FALSE(cut);
    EXPECT_EQ(cut.error(), make_error_code(Errc::bad_line_ending));
    auto big = parse_request_head("GET / HTTP/1.1\r\nHost: h\r\n\r\n", {.max_head_size = 8});
    ASSERT_FALSE(big);
    EXPECT_EQ(http_status_for(big.error()), 431);
}

}  // namespace
}  // namespace wsx::proto
