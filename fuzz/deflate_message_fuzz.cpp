// Fuzzes permessage-deflate messages (RFC 7692 §6-7.2): frames read by a client-role message
// reader with an inflater, whole and split (the same events either way with a 15-bit window),
// and, for the same bytes taken as a message, a compress/inflate round trip in every window
// size. Documented outcomes only: messages no larger than the limit, control frames, or a failure
// whose close code is 1002, 1007 or 1009; zlib's memory all given back at the end. With a smaller
// window only the outcomes are checked, not split invariance: zlib accepts a distance beyond the
// window when the bytes it names are still in the current output buffer, so a peer that breaks
// its own client_max_window_bits may be decoded when a message arrives whole and refused
// (1007) when it arrives in pieces; no memory outside zlib's buffers is ever read.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "wsx/proto/deflate_codec.hpp"
#include "wsx/proto/errc.hpp"
#include "wsx/proto/message_reader.hpp"

#include "fuzz_support.hpp"

namespace {

using namespace wsx;

constexpr std::size_t kLimit = 1 << 16;

std::vector<std::string> read(const std::string& input, std::size_t chunk, int bits, bool release,
                              proto::ZlibMemory& memory) {
    proto::MessageInflater inflater(bits, release, &memory);
    proto::MessageReader reader(proto::Role::client, kLimit);
    reader.use_inflater(&inflater);
    std::vector<std::string> events;
    std::string buffer;
    if (chunk == 0) {
        chunk = input.empty() ? 1 : input.size();
    }
    for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
        buffer.assign(input.substr(pos, chunk));
        std::span<char> in(buffer);
        for (;;) {
            const proto::ReadItem item = reader.next(in);
            if (item.kind == proto::ReadItem::Kind::need_more) {
                inflater.release_if_idle();
                break;
            }
            if (item.kind == proto::ReadItem::Kind::error) {
                const auto code = proto::close_code_for(item.error);
                fuzz::require(code == 1002 || code == 1007 || code == 1009,
                              "a failure other than 1002, 1007 or 1009");
                events.push_back("error:" + std::to_string(code));
                return events;
            }
            fuzz::require(item.data.size() <= kLimit, "a message over the limit");
            events.push_back(std::to_string(static_cast<int>(item.kind)) + ":"
                             + std::string(item.data));
        }
    }
    return events;
}

void round_trip(const std::string& message, int bits, bool reset) {
    proto::ZlibMemory memory;
    proto::MessageDeflater deflater({.window_bits = bits, .mem_level = 1 + bits % 9}, &memory);
    proto::MessageInflater inflater(bits, reset, &memory);
    std::string wire;
    proto::MessageBuffer out;
    for (int i = 0; i < 2; ++i) {  // twice: the second may use the first's window
        fuzz::require(!deflater.compress(message, wire, reset), "compression failed");
        out.clear();
        fuzz::require(!inflater.inflate(wire, out, message.size()), "own output does not inflate");
        fuzz::require(!inflater.finish(out, message.size()), "own output does not finish");
        fuzz::require(out.view() == message, "round trip changed the message");
        inflater.release_if_idle();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::size_t chunk = 1 + data[0] % 32;
    const int bits = 8 + (data[0] >> 5);  // 8-15
    const bool release = (data[0] & 0x10) != 0;
    const std::string input(reinterpret_cast<const char*>(data + 1), size - 1);
    proto::ZlibMemory memory;
    const auto whole = read(input, 0, proto::kMaxWindowBits, release, memory);
    const auto split = read(input, chunk, proto::kMaxWindowBits, release, memory);
    fuzz::require(whole == split, "split changed the outcome");
    (void)read(input, chunk, bits, release, memory);
    fuzz::require(memory.in_use() == 0, "zlib memory not given back");
    round_trip(input, std::max(bits, proto::kMinZlibWindowBits), release);
    return 0;
}
