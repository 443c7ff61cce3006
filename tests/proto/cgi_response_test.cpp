#include "wsx/proto/cgi_response.hpp"

#include <gtest/gtest.h>

#include "wsx/proto/errc.hpp"

namespace wsx::proto {
namespace {

struct Read {
    CgiHeadReader::Status status;
    CgiResponse response;
    std::error_code error;
    std::string rest;  // the body bytes left in the input
};

// Feeds `bytes` in pieces of `chunk` bytes (0: whole) and stops at the first final status.
Read read(std::string_view bytes, std::size_t chunk = 0, const Limits& limits = {}) {
    CgiHeadReader reader(limits);
    chunk = chunk == 0 ? std::max<std::size_t>(bytes.size(), 1) : chunk;
    Read out{CgiHeadReader::Status::need_more, {}, {}, {}};
    for (std::size_t pos = 0; pos < bytes.size(); pos += chunk) {
        std::span<const char> in(bytes.data() + pos, std::min(chunk, bytes.size() - pos));
        out.status = reader.feed(in);
        if (out.status != CgiHeadReader::Status::need_more) {
            out.rest.assign(in.data(), in.size());
            out.rest.append(bytes.substr(std::min(bytes.size(), pos + chunk)));
            break;
        }
    }
    if (out.status == CgiHeadReader::Status::complete) {
        out.response = reader.response();
    }
    out.error = reader.error();
    return out;
}

TEST(CgiHead, FieldsStatusAndBodyAtEverySplit) {
    const std::string output =
            "Content-Type: text/plain\nStatus: 404 Not Found\r\nX-Thing:  a b \n\nbody\nmore";
    for (std::size_t chunk = 1; chunk <= output.size(); ++chunk) {
        const Read r = read(output, chunk);
        ASSERT_EQ(r.status, CgiHeadReader::Status::complete) << chunk;
        EXPECT_EQ(r.response.status, 404);
        EXPECT_EQ(r.response.headers,
                  (HeaderList{{"Content-Type", "text/plain"}, {"X-Thing", "a b"}}));
        EXPECT_EQ(r.rest, "body\nmore") << chunk;
        EXPECT_FALSE(r.response.content_length);
    }
}

TEST(CgiHead, DefaultsAndRedirects) {
    EXPECT_EQ(read("Content-Type: text/html\r\n\r\n").response.status, 200);
    // RFC 3875 §6.2.3: a Location without Status is a redirect.
    const Read redirect = read("Location: http://example.com/x\n\n");
    EXPECT_EQ(redirect.response.status, 302);
    EXPECT_EQ(redirect.response.headers, (HeaderList{{"Location", "http://example.com/x"}}));
    EXPECT_EQ(read("Location: /local\nStatus: 303 See Other\n\n").response.status, 303);
    EXPECT_EQ(read("Status: 201\n\n").response.status, 201);  // the reason phrase is optional
}

TEST(CgiHead, ContentLengthIsKeptApartAndHopByHopFieldsAreDropped) {
    const Read r =
            read("Content-Length: 5\nConnection: keep-alive\nTransfer-Encoding: chunked\n"
                 "Keep-Alive: 5\nUpgrade: h2c\nContent-Type: a/b\n\nhello");
    ASSERT_EQ(r.status, CgiHeadReader::Status::complete);
    EXPECT_EQ(r.response.content_length, 5U);
    EXPECT_EQ(r.response.headers, (HeaderList{{"Content-Type", "a/b"}}));
    EXPECT_EQ(read("Content-Length: 5\nContent-Length: 5\n\n").response.content_length, 5U);
}

TEST(CgiHead, MalformedHeadsAreErrors) {
    for (const char* bad : {
                 "\n",                                        // no field at all
                 "no colon here\n\n",                         // not a field
                 "Bad Name: x\n\n",                           // not a token
                 ": x\n\n",                                   // empty name
                 "X: a\rb\n\n",                               // a bare CR would split our response
                 "X: a\x01\n\n",                              // control byte
                 "Status: 99 Low\n\n",                        // not 3 digits in range
                 "Status: 100 Continue\n\n",                  // not a final status
                 "Status: 600 Past\n\n",                      // out of range
                 "Status: 200OK\n\n",                         // no SP after the code
                 "Status: 200\nStatus: 404\n\n",              // two
                 "Content-Length: 5x\n\n",                    // not a number
                 "Content-Length: 5\nContent-Length: 6\n\n",  // disagreeing
                 "Location:\n\n",                             // empty
         }) {
        const Read r = read(bad);
        EXPECT_EQ(r.status, CgiHeadReader::Status::error) << bad;
        EXPECT_EQ(r.error, make_error_code(Errc::bad_cgi_response)) << bad;
        EXPECT_EQ(http_status_for(r.error), 502);
    }
    EXPECT_EQ(read(std::string("X: a\0b\n\n", 8)).error, make_error_code(Errc::bad_cgi_response));
}

TEST(CgiHead, LimitsAreCheckedBeforeMoreIsStored) {
    const Limits small{.max_head_size = 64, .max_line_size = 16, .max_header_count = 2};
    EXPECT_EQ(read("A: 0123456789abc\n\n", 0, small).status, CgiHeadReader::Status::complete);
    EXPECT_EQ(read("A: 0123456789abcd\n\n", 0, small).error,
              make_error_code(Errc::cgi_head_too_large));  // 17 bytes of line
    // A line that never ends is refused as soon as it passes the limit, not at its end.
    const Read endless = read(std::string(19, 'x'), 1, small);
    EXPECT_EQ(endless.status, CgiHeadReader::Status::error);
    EXPECT_EQ(read("A: 1\nB: 2\nC: 3\n\n", 0, small).error,
              make_error_code(Errc::cgi_head_too_large));
    Limits head{.max_head_size = 20};
    EXPECT_EQ(read("A: 1\nB: 2\nC: 3\nD: 4\n\n", 0, head).error,
              make_error_code(Errc::cgi_head_too_large));  // 21 bytes
}

TEST(CgiHead, FailureAndCompletionAreSticky) {
    CgiHeadReader reader({});
    std::string bad = "oops\n";
    std::span<const char> in(bad);
    EXPECT_EQ(reader.feed(in), CgiHeadReader::Status::error);
    std::string good = "A: b\n\n";
    in = std::span<const char>(good);
    EXPECT_EQ(reader.feed(in), CgiHeadReader::Status::error);
    CgiHeadReader ok({});
    in = std::span<const char>(good);
    EXPECT_EQ(ok.feed(in), CgiHeadReader::Status::complete);
    std::string body = "X: y\n\n";
    in = std::span<const char>(body);
    EXPECT_EQ(ok.feed(in), CgiHeadReader::Status::complete);
    EXPECT_EQ(in.size(), body.size());  // body bytes are not taken as fields
}

}  // namespace
}  // namespace wsx::proto
