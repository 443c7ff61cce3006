// Fuzzes the client side: the server's handshake response and the frames after it, fed to a
// client endpoint that offered the subprotocol "chat". Documented outcomes only: open, then
// messages, pings, pongs and a close, or a failure; the same events and output whether the
// bytes arrive whole or split.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"

namespace {

using namespace wsx;

std::vector<std::string> run(const std::string& input, std::size_t chunk, std::string& output) {
    proto::Endpoint ep(
            proto::Limits{.max_head_size = 4096,
                          .max_line_size = 1024,
                          .max_header_count = 20,
                          .max_message_size = 65536},
            proto::ClientHandshake{
                    .host = "h", .protocols = {"chat"}, .key = "dGhlIHNhbXBsZSBub25jZQ=="},
            0);
    (void)test::drain_output(ep);  // the request
    std::vector<std::string> events = test::feed_split(ep, input, chunk);
    for (std::size_t i = 0; i < events.size(); ++i) {
        const std::string& e = events[i];
        const bool first = i == 0;
        fuzz::require(first ? (e.rfind("open:", 0) == 0 || e.rfind("fail:", 0) == 0)
                            : e.rfind("open:", 0) != 0,
                      "open must come first, once");
        fuzz::require(e == "open:" || e == "open:chat" || e.rfind("text:", 0) == 0
                              || e.rfind("binary:", 0) == 0 || e.rfind("ping:", 0) == 0
                              || e.rfind("pong:", 0) == 0 || e.rfind("close:", 0) == 0
                              || e.rfind("fail:", 0) == 0,
                      "undocumented event");
    }
    output = test::drain_output(ep);
    if (!events.empty() && events.front().rfind("fail:", 0) == 0) {
        fuzz::require(output.empty(), "a client that never opened sends nothing");
    }
    return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // Client frames are masked with fresh random keys: compare their lengths, not their bytes.
    return wsx::fuzz::whole_vs_split(
            data, size, run,
            [](const std::string& a, const std::string& b) { return a.size() == b.size(); });
}
