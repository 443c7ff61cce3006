// RFC 7692 §7.2 message compression with zlib: raw DEFLATE streams flushed per message (the
// `00 00 ff ff` tail removed when sending, appended when receiving), context reset when takeover is
// off, and zlib's memory counted and capped through its zalloc/zfree hooks. Streams are allocated
// on first use; an inflater whose peer resets its context frees its window after every message.
// Rule: no threads, no I/O: a compressor shared by many connections is an object the caller owns
// and lends to each endpoint (one per thread), never a hidden global.
//
//     ZlibMemory memory(64 << 20);                       // caller-owned, outlives the streams
//     MessageDeflater deflater({.window_bits = 15, .mem_level = 8}, &memory);
//     std::string wire;
//     if (!deflater.compress("Hello", wire, false)) { /* RSV1 frame with `wire` */ }
//     MessageInflater inflater(15, false, &memory);
//     MessageBuffer out;
//     (void)inflater.inflate(wire, out, limit); (void)inflater.finish(out, limit);
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "wsx/proto/deflate.hpp"
#include "wsx/proto/frame.hpp"
#include "wsx/proto/message_buffer.hpp"

struct z_stream_s;  // zlib's z_stream

namespace wsx::proto {

/// zlib memory of a set of streams: counted, reported, capped. Not copyable or movable (streams
/// point to it); it must outlive them. Distinct objects safe, shared objects unsafe.
class ZlibMemory {
public:
    explicit ZlibMemory(std::size_t cap = SIZE_MAX) noexcept : cap_(cap) {}

    ZlibMemory(const ZlibMemory&) = delete;
    ZlibMemory& operator=(const ZlibMemory&) = delete;

    /// Bytes zlib holds now, through every stream counted here.
    [[nodiscard]] std::size_t in_use() const noexcept { return in_use_; }

    /// The most held at once.
    [[nodiscard]] std::size_t peak() const noexcept { return peak_; }

    /// Allocations past the cap fail (zlib reports Z_MEM_ERROR).
    [[nodiscard]] std::size_t cap() const noexcept { return cap_; }

    /// Allocations refused because of the cap.
    [[nodiscard]] std::size_t refused() const noexcept { return refused_; }

    void set_cap(std::size_t cap) noexcept { cap_ = cap; }

    /// zlib's hooks (opaque = this).
    static void* allocate(void* opaque, unsigned items, unsigned size) noexcept;
    static void release(void* opaque, void* address) noexcept;

private:
    std::size_t cap_;
    std::size_t in_use_ = 0;
    std::size_t peak_ = 0;
    std::size_t refused_ = 0;
};

/// Settings of one compressor.
struct DeflaterSettings {
    int window_bits = kMaxWindowBits;  // 9-15 (see kMinZlibWindowBits)
    int mem_level = 8;                 // 1-9
    int level = -1;                    // 0-9, -1: zlib's default
};

/// zlib's memory for one compressor (deflate.c: window, prev and head tables, pending buffer).
[[nodiscard]] std::size_t deflater_memory(const DeflaterSettings& s) noexcept;

/// zlib's memory for one inflater at `window_bits` (its state and window).
[[nodiscard]] std::size_t inflater_memory(int window_bits) noexcept;

/// Compresses whole messages with one raw DEFLATE stream, allocated on the first message.
/// Movable; distinct objects safe, shared objects unsafe.
class MessageDeflater {
public:
    MessageDeflater(DeflaterSettings settings, ZlibMemory* memory) noexcept;
    MessageDeflater(MessageDeflater&&) noexcept;
    MessageDeflater& operator=(MessageDeflater&&) noexcept;
    ~MessageDeflater();

    /// Replaces `out` with `data` compressed (RFC 7692 §7.2.1: sync flush, the final `00 00 ff
    /// ff` removed); with `reset` the context is forgotten afterwards (no context takeover).
    /// Error: deflate_memory_exhausted (zlib could not allocate: send the message uncompressed).
    [[nodiscard]] std::error_code compress(std::string_view data, std::string& out, bool reset);

    /// True once zlib's state is allocated.
    [[nodiscard]] bool allocated() const noexcept { return stream_ != nullptr; }

private:
    [[nodiscard]] bool start() noexcept;
    void end() noexcept;

    DeflaterSettings settings_;
    ZlibMemory* memory_;
    std::unique_ptr<z_stream_s> stream_;
};

/// Inflates messages of one direction. Movable; distinct objects safe, shared objects unsafe.
class MessageInflater {
public:
    /// `window_bits` is the peer's window (8 is inflated with 9); with `release_when_idle` (the
    /// peer resets its context per message) release_if_idle() frees the stream.
    MessageInflater(int window_bits, bool release_when_idle, ZlibMemory* memory) noexcept;
    MessageInflater(MessageInflater&&) noexcept;
    MessageInflater& operator=(MessageInflater&&) noexcept;
    ~MessageInflater();

    /// Appends `data` inflated to `out`, never past `limit` bytes in all. Errors:
    /// message_too_big (the limit, checked while inflating), bad_compressed_data,
    /// deflate_memory_exhausted.
    [[nodiscard]] std::error_code inflate(std::string_view data, MessageBuffer& out,
                                          std::size_t limit);

    /// The message's last frame was inflated: inflates the `00 00 ff ff` tail (§7.2.2). Errors
    /// as inflate().
    [[nodiscard]] std::error_code finish(MessageBuffer& out, std::size_t limit);

    /// The input at hand is used up: if the peer resets its context and no message is half
    /// inflated, frees the stream, so an idle connection holds no window. Messages that arrive
    /// together therefore share one allocation.
    void release_if_idle() noexcept;

    /// True once zlib's state is allocated (and not freed since).
    [[nodiscard]] bool allocated() const noexcept { return stream_ != nullptr; }

private:
    [[nodiscard]] bool start() noexcept;
    void end() noexcept;

    int window_bits_;
    bool release_when_idle_;
    bool in_message_ = false;
    ZlibMemory* memory_;
    std::unique_ptr<z_stream_s> stream_;
};

/// One compressor per window size (9-15) shared by every connection of one thread that agreed
/// on server_no_context_takeover, as uWebSockets' SHARED_COMPRESSOR: a connection holds no
/// compressor memory at all. Each message is compressed alone (reset after it). The caller owns
/// it and lends it to endpoints; it must outlive them and stay on their thread.
class SharedDeflater {
public:
    SharedDeflater(int mem_level, int level, ZlibMemory* memory) noexcept
        : mem_level_(mem_level), level_(level), memory_(memory) {}

    /// The compressor for `window_bits`, created on first use.
    [[nodiscard]] MessageDeflater& for_window(int window_bits);

    /// A buffer for compressed output, reused from message to message.
    [[nodiscard]] std::string& scratch() noexcept { return scratch_; }

private:
    int mem_level_;
    int level_;
    ZlibMemory* memory_;
    std::array<std::optional<MessageDeflater>, kMaxWindowBits - kMinZlibWindowBits + 1> by_bits_;
    std::string scratch_;
};

/// What an endpoint needs to run permessage-deflate: the agreement and the caller's resources.
struct DeflateSetup {
    DeflateAgreement agreement;
    int mem_level = 8;
    int level = -1;
    std::size_t threshold = 0;         // shorter messages go out uncompressed
    ZlibMemory* memory = nullptr;      // null: counted nowhere, no cap
    SharedDeflater* shared = nullptr;  // null: a compressor of the connection's own
};

/// One connection's permessage-deflate state: its compressor (or the shared one) and its
/// inflater, each oriented by the endpoint's role.
class PerMessageDeflate {
public:
    PerMessageDeflate(Role role, const DeflateSetup& setup);

    /// `data` compressed into a buffer valid until the next call, or nullptr when it goes out
    /// uncompressed (under the threshold, a peer window of 8, or zlib out of memory).
    [[nodiscard]] std::string* compress(std::string_view data);

    [[nodiscard]] MessageInflater& inflater() noexcept { return inflater_; }

    [[nodiscard]] const DeflateAgreement& agreement() const noexcept { return agreement_; }

    /// The window bits of the shared compressor a message of `size` bytes would go through
    /// (SharedDeflater::for_window), or 0 when it would not (own compressor, under the
    /// threshold): a message compressed once that way serves every such connection.
    [[nodiscard]] int shared_window_for(std::size_t size) const noexcept {
        return shared_ != nullptr && size >= threshold_ ? send_bits_ : 0;
    }

private:
    DeflateAgreement agreement_;
    std::size_t threshold_;
    int send_bits_;
    bool send_reset_;
    SharedDeflater* shared_;
    std::optional<MessageDeflater> own_;
    std::string scratch_;
    MessageInflater inflater_;
};

}  // namespace wsx::proto
