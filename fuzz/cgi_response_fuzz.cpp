// Fuzzes the CGI response header reader. Documented outcomes: complete or one of its two errors;
// the same outcome, fields and leftover body whether the input comes whole or in pieces; no field
// that passes carries a CR, LF or NUL into our response.
#include "wsx/proto/cgi_response.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

#include "wsx/proto/errc.hpp"

#include "fuzz_support.hpp"

namespace {

struct Outcome {
    wsx::proto::CgiHeadReader::Status status;
    std::error_code error;
    wsx::proto::CgiResponse response;
    std::size_t rest = 0;
};

Outcome run(std::string_view input, std::size_t chunk, const wsx::proto::Limits& limits) {
    using namespace wsx::proto;
    CgiHeadReader reader(limits);
    Outcome out{CgiHeadReader::Status::need_more, {}, {}, 0};
    for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
        std::span<const char> in(input.data() + pos, std::min(chunk, input.size() - pos));
        out.status = reader.feed(in);
        if (out.status != CgiHeadReader::Status::need_more) {
            out.rest = in.size() + input.size() - std::min(input.size(), pos + chunk);
            break;
        }
    }
    out.error = reader.error();
    if (out.status == CgiHeadReader::Status::complete) {
        out.response = reader.response();
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace wsx::proto;
    using wsx::fuzz::require;
    if (size < 1) {
        return 0;
    }
    const std::size_t chunk = 1 + data[0] % 16;
    const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    const Limits limits{.max_head_size = 2048, .max_line_size = 256, .max_header_count = 16};
    const Outcome whole = run(input, std::max<std::size_t>(input.size(), 1), limits);
    const Outcome split = run(input, chunk, limits);
    require(whole.status == split.status, "split changes the outcome");
    require(whole.error == split.error, "split changes the error");
    if (whole.status == CgiHeadReader::Status::error) {
        require(whole.error == make_error_code(Errc::bad_cgi_response)
                        || whole.error == make_error_code(Errc::cgi_head_too_large),
                "undocumented error");
    }
    if (whole.status == CgiHeadReader::Status::complete) {
        require(whole.rest == split.rest, "split changes where the body starts");
        require(whole.response.headers == split.response.headers, "split changes the fields");
        require(whole.response.status == split.response.status, "split changes the status");
        require(whole.response.status >= 200 && whole.response.status <= 599, "status range");
        for (const auto& [name, value] : whole.response.headers) {
            require(is_token(name), "field name is not a token");
            for (char c : value) {
                require(c != '\r' && c != '\n' && c != '\0', "CR, LF or NUL in a field value");
            }
        }
    }
    return 0;
}
