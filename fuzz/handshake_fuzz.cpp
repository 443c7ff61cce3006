// Fuzzes the server's opening handshake: request head reader, upgrade validation, responses.
// Documented outcomes only: an upgrade request, a plain HTTP request (answered with respond()),
// or a failure with the HTTP error response its error maps to (and nothing sent while the head
// is incomplete); the same events whether the bytes arrive whole or split. An accepted request's
// head, kept as one string (format_request_head), parses again to the same request.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"

namespace {

using namespace wsx;

void require_round_trip(const proto::HttpRequest& request) {
    const std::string kept = proto::format_request_head(request);
    const proto::Limits any_size{.max_head_size = kept.size() + 1,
                                 .max_line_size = kept.size() + 1,
                                 .max_header_count = kept.size()};
    auto again = proto::parse_request_head(kept, any_size);
    fuzz::require(again.has_value(), "a kept request head must parse again");
    bool same = again->method == request.method && again->target == request.target
                && again->version == request.version
                && again->headers.size() == request.headers.size();
    for (std::size_t i = 0; same && i < request.headers.size(); ++i) {
        same = again->headers[i].name == request.headers[i].name
               && again->headers[i].value == request.headers[i].value;
    }
    fuzz::require(same, "a kept request head must parse to the same request");
}

std::vector<std::string> run(const std::string& input, std::size_t chunk, std::string& output) {
    proto::HttpExchange ep(
            proto::Limits{.max_head_size = 4096, .max_line_size = 1024, .max_header_count = 20}, 0);
    std::vector<std::string> events = test::feed_split(ep, input, chunk);
    for (const auto& e : events) {
        fuzz::require(e.rfind("upgrade:", 0) == 0 || e.rfind("http:", 0) == 0
                              || e.rfind("fail:http", 0) == 0,
                      "undocumented event");
    }
    if (!events.empty() && events.back().rfind("upgrade:", 0) == 0) {
        const proto::UpgradeRequest* request = ep.upgrade_request();
        fuzz::require(request != nullptr, "an upgrade event without its request");
        require_round_trip(request->http);
        auto upgraded = ep.accept({}, 0);
        fuzz::require(upgraded.has_value(), "accept after a valid request must succeed");
        output = test::drain_output(upgraded->endpoint);
        fuzz::require(output.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0) == 0, "101 expected");
    } else if (!events.empty() && events.back().rfind("http:", 0) == 0) {
        // A plain request: nothing is written until the server answers.
        const std::string early = test::drain_output(ep);  // only an interim 100 Continue
        fuzz::require(early.empty() || early == "HTTP/1.1 100 Continue\r\n\r\n",
                      "output before respond()");
        fuzz::require(!ep.respond("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", true, 0),
                      "respond after a plain request must succeed");
        output = test::drain_output(ep);
    } else if (!events.empty()) {
        // A failure: its HTTP error response, with the status the error maps to, goes out.
        output = test::drain_output(ep);
        fuzz::require(output.empty() || output.rfind("HTTP/1.1 4", 0) == 0, "4xx expected");
        const std::string status = events.back().substr(std::string_view("fail:http").size());
        fuzz::require(output.rfind("HTTP/1.1 " + status + " ", 0) == 0,
                      "a failure did not send its HTTP error response");
    } else {
        // No event: the head is not complete yet, so nothing may have been sent.
        output = test::drain_output(ep);
        fuzz::require(output.empty(), "output before the request head is complete");
    }
    return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return wsx::fuzz::whole_vs_split(data, size, run, std::equal_to<std::string>());
}
