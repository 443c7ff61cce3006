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

// Which close code the server may send depends on why it closes: the echo of the peer's close
// (its code, or 1005 for an empty one), 1000 after "Goodbye", or the failure's own code, which is
// 1002 (protocol error), 1007 (invalid data) or 1009 (too big) and nothing else.
void require_documented_close(const test::EchoRun& r, std::uint16_t code) {
    using Initiator = proto::CloseInfo::Initiator;
    if (r.info.initiator == Initiator::peer) {
        fuzz::require(code == r.info.code, "the peer's close code was not echoed");
    } else if (r.goodbye) {
        fuzz::require(code == 1000, "the close after Goodbye is not 1000");
    } else {
        fuzz::require(static_cast<bool>(r.failure), "a close frame sent without a failure");
        fuzz::require(code == proto::close_code_for(r.failure),
                      "the close code is not the failure's");
        fuzz::require(code == 1002 || code == 1007 || code == 1009,
                      "a failure closed with a code other than 1002, 1007 or 1009");
    }
}

Run run(const std::string& input, std::size_t chunk) {
    test::EchoRun r = test::run_echo(input, chunk, proto::Limits{.max_message_size = 1 << 16});
    std::size_t closes = 0;
    for (const auto& s : r.sent) {
        fuzz::require(s.rfind("undecodable", 0) != 0, "server output does not decode");
        if (s.rfind("close:", 0) == 0) {
            ++closes;
            // Our own failures send 1002, 1007 or 1009; a peer's valid close is echoed back, and
            // an empty one is answered with an empty one (decoded as 1005, "no status").
            const auto code = static_cast<std::uint16_t>(std::stoul(s.substr(6)));
            fuzz::require(proto::is_valid_wire_close_code(code) || code == 1005,
                          "invalid close code sent");
            require_documented_close(r, code);
        }
    }
    fuzz::require(closes <= 1, "more than one close frame sent");
    // A failure before any close was sent must send one (with its code, checked above).
    fuzz::require(!r.failure || r.goodbye || closes == 1, "a failure sent no close frame");
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
