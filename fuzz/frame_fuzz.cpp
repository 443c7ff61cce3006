// Fuzzes frames and messages through an open server endpoint (frame parser, message reader,
// UTF-8, close payloads). Documented outcomes only: messages, pings, pongs, close, or a failure
// whose close code is 1002, 1007 or 1009; whatever the server sends must decode as server frames;
// the same events and output whether the bytes arrive whole or split.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"

namespace {

using namespace wsx;

struct Run {
    std::vector<std::string> sent;
    proto::State state;
};

Run run(const std::string& input, std::size_t chunk) {
    test::EchoRun r = test::run_echo(input, chunk, proto::Limits{.max_message_size = 1 << 16});
    for (const auto& s : r.sent) {
        fuzz::require(s.rfind("undecodable", 0) != 0, "server output does not decode");
        if (s.rfind("close:", 0) == 0) {
            // Our own failures send 1002, 1007 or 1009; a peer's valid close is echoed back, and
            // an empty one is answered with an empty one (decoded as 1005, "no status").
            const auto code = static_cast<std::uint16_t>(std::stoul(s.substr(6)));
            fuzz::require(proto::is_valid_wire_close_code(code) || code == 1005,
                          "invalid close code sent");
        }
    }
    return {r.sent, r.state};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::size_t chunk = 1 + data[0] % 64;
    const std::string input(reinterpret_cast<const char*>(data + 1), size - 1);
    const Run whole = run(input, 0);
    const Run split = run(input, chunk);
    wsx::fuzz::require(whole.sent == split.sent && whole.state == split.state,
                       "split changed the outcome");
    return 0;
}
