// Message compression with zlib; see deflate_codec.hpp. Rule: every z_stream lives behind a
// unique_ptr (zlib keeps a pointer to it, so it must not move), is allocated on first use and
// allocates only through ZlibMemory.
#include "wsx/proto/deflate_codec.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <zlib.h>

#include "wsx/proto/errc.hpp"

namespace wsx::proto {
namespace {

// Each block carries its size in front, so release() can count it back.
constexpr std::size_t kHeader = alignof(std::max_align_t);

// §7.2.1: a sync flush ends with an empty stored block, `00 00 ff ff`, which is removed.
constexpr std::string_view kTail("\x00\x00\xff\xff", 4);

std::unique_ptr<z_stream> new_stream(ZlibMemory* memory) {
    auto s = std::make_unique<z_stream>();
    s->zalloc = memory != nullptr ? &ZlibMemory::allocate : Z_NULL;
    s->zfree = memory != nullptr ? &ZlibMemory::release : Z_NULL;
    s->opaque = memory;
    return s;
}

unsigned char* bytes(char* p) {
    return reinterpret_cast<unsigned char*>(p);
}

const unsigned char* bytes(const char* p) {
    return reinterpret_cast<const unsigned char*>(p);
}

// Output grows by at least this much, doubling with what is there.
std::size_t grow_step(std::size_t have, std::size_t input) {
    return std::max<std::size_t>({have, input * 2, 256});
}

}  // namespace

void* ZlibMemory::allocate(void* opaque, unsigned items, unsigned size) noexcept {
    auto* m = static_cast<ZlibMemory*>(opaque);
    const std::size_t n = std::size_t{items} * size;
    if (m->in_use_ + n > m->cap_) {
        ++m->refused_;
        return Z_NULL;
    }
    void* block = std::malloc(n + kHeader);  // NOLINT(cppcoreguidelines-no-malloc): zlib's own
    if (block == nullptr) {
        return Z_NULL;
    }
    std::memcpy(block, &n, sizeof n);
    m->in_use_ += n;
    m->peak_ = std::max(m->peak_, m->in_use_);
    return static_cast<char*>(block) + kHeader;
}

void ZlibMemory::release(void* opaque, void* address) noexcept {
    if (address == nullptr) {
        return;
    }
    auto* m = static_cast<ZlibMemory*>(opaque);
    char* block = static_cast<char*>(address) - kHeader;
    std::size_t n = 0;
    std::memcpy(&n, block, sizeof n);
    m->in_use_ -= n;
    std::free(block);  // NOLINT(cppcoreguidelines-no-malloc)
}

std::size_t deflater_memory(const DeflaterSettings& s) noexcept {
    // zlib.h (zconf.h): "(1 << (windowBits+2)) + (1 << (memLevel+9))" plus the state itself.
    return (std::size_t{1} << (s.window_bits + 2)) + (std::size_t{1} << (s.mem_level + 9))
           + 6 * 1024;
}

std::size_t inflater_memory(int window_bits) noexcept {
    // zconf.h: "1 << windowBits" for the window, plus about 7 KiB of state.
    return (std::size_t{1} << std::max(window_bits, kMinZlibWindowBits)) + 7 * 1024;
}

// --- MessageDeflater ---

MessageDeflater::MessageDeflater(DeflaterSettings settings, ZlibMemory* memory) noexcept
    : settings_(settings), memory_(memory) {
    settings_.window_bits = std::clamp(settings_.window_bits, kMinZlibWindowBits, kMaxWindowBits);
    settings_.mem_level = std::clamp(settings_.mem_level, 1, MAX_MEM_LEVEL);
    settings_.level = std::clamp(settings_.level, -1, 9);
}

MessageDeflater::MessageDeflater(MessageDeflater&&) noexcept = default;

MessageDeflater& MessageDeflater::operator=(MessageDeflater&& other) noexcept {
    if (this != &other) {
        end();
        settings_ = other.settings_;
        memory_ = other.memory_;
        stream_ = std::move(other.stream_);
    }
    return *this;
}

MessageDeflater::~MessageDeflater() {
    end();
}

bool MessageDeflater::start() noexcept {
    auto s = new_stream(memory_);
    // Negative window bits: a raw DEFLATE stream, no zlib header or checksum (§7.2.1).
    if (deflateInit2(s.get(), settings_.level, Z_DEFLATED, -settings_.window_bits,
                     settings_.mem_level, Z_DEFAULT_STRATEGY)
        != Z_OK) {
        return false;
    }
    stream_ = std::move(s);
    return true;
}

void MessageDeflater::end() noexcept {
    if (stream_) {
        deflateEnd(stream_.get());
        stream_.reset();
    }
}

std::error_code MessageDeflater::compress(std::string_view data, std::string& out, bool reset) {
    if (!stream_ && !start()) {
        return Errc::deflate_memory_exhausted;
    }
    z_stream& s = *stream_;
    s.next_in = const_cast<unsigned char*>(bytes(data.data()));  // zlib does not write it
    s.avail_in = static_cast<uInt>(data.size());
    out.clear();
    int rc = Z_OK;
    do {
        const std::size_t have = out.size();
        const std::size_t step = grow_step(have, s.avail_in / 2 + 16);
        out.resize(have + step);
        s.next_out = bytes(out.data() + have);
        s.avail_out = static_cast<uInt>(step);
        rc = deflate(&s, Z_SYNC_FLUSH);
        out.resize(have + step - s.avail_out);
    } while (rc == Z_OK && (s.avail_out == 0 || s.avail_in > 0));
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
        end();  // a stream in an unknown state is dropped; the next message starts afresh
        return Errc::deflate_memory_exhausted;
    }
    if (out.size() >= kTail.size() && std::string_view(out).substr(out.size() - 4) == kTail) {
        out.resize(out.size() - kTail.size());
    }
    if (out.empty()) {
        // Nothing was pending (an empty message after a flush): §7.2.3.6's one-byte empty
        // stored block, so the `00 00 ff ff` the peer appends completes a block.
        out.push_back('\0');
    }
    if (reset) {
        deflateReset(&s);  // §7.2.1: no context takeover: the next message starts empty
    }
    return {};
}

// --- MessageInflater ---

MessageInflater::MessageInflater(int window_bits, bool release_when_idle,
                                 ZlibMemory* memory) noexcept
    : window_bits_(std::clamp(window_bits, kMinZlibWindowBits, kMaxWindowBits)),
      release_when_idle_(release_when_idle),
      memory_(memory) {}

MessageInflater::MessageInflater(MessageInflater&&) noexcept = default;

MessageInflater& MessageInflater::operator=(MessageInflater&& other) noexcept {
    if (this != &other) {
        end();
        window_bits_ = other.window_bits_;
        release_when_idle_ = other.release_when_idle_;
        memory_ = other.memory_;
        stream_ = std::move(other.stream_);
    }
    return *this;
}

MessageInflater::~MessageInflater() {
    end();
}

bool MessageInflater::start() noexcept {
    auto s = new_stream(memory_);
    // A peer's 8-bit window is inflated with 9 (kMinZlibWindowBits): zlib refuses 8 for raw
    // streams, and a larger window decodes anything a smaller one made.
    if (inflateInit2(s.get(), -window_bits_) != Z_OK) {
        return false;
    }
    stream_ = std::move(s);
    return true;
}

void MessageInflater::end() noexcept {
    in_message_ = false;
    if (stream_) {
        inflateEnd(stream_.get());
        stream_.reset();
    }
}

std::error_code MessageInflater::inflate(std::string_view data, MessageBuffer& out,
                                         std::size_t limit) {
    if (!stream_ && !start()) {
        return Errc::deflate_memory_exhausted;
    }
    in_message_ = true;
    z_stream& s = *stream_;
    s.next_in = const_cast<unsigned char*>(bytes(data.data()));  // zlib does not write it
    s.avail_in = static_cast<uInt>(data.size());
    for (;;) {
        if (out.size() > limit) {
            return Errc::message_too_big;  // the inflated size, checked as it grows
        }
        const std::size_t have = out.size();
        // One byte past the limit is room enough to learn that the limit is passed.
        const std::size_t step = std::min(grow_step(have, s.avail_in), limit + 1 - have);
        s.next_out = bytes(out.extend(step));  // unwritten: zlib writes it
        s.avail_out = static_cast<uInt>(step);
        const int rc = ::inflate(&s, Z_SYNC_FLUSH);
        out.truncate(have + step - s.avail_out);
        // Passing the limit is checked before zlib's verdict: with the output full, zlib goes on
        // decoding codes that need no room and may find a bad one only when enough input is at
        // hand, so a message both too big and corrupt fails with 1009 however it is split.
        if (out.size() > limit) {
            return Errc::message_too_big;
        }
        if (rc == Z_STREAM_END) {
            inflateReset(&s);  // a block with BFINAL set ended the stream: a new one may follow
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            end();  // failure is final for the message (and the connection): free it now
            return rc == Z_MEM_ERROR ? Errc::deflate_memory_exhausted : Errc::bad_compressed_data;
        }
        if (s.avail_in == 0 && s.avail_out != 0) {
            return {};
        }
    }
}

std::error_code MessageInflater::finish(MessageBuffer& out, std::size_t limit) {
    // §7.2.2: "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the payload of the
    // message" and inflate.
    if (auto ec = inflate(kTail, out, limit)) {
        return ec;
    }
    in_message_ = false;
    if (release_when_idle_ && stream_) {
        // The peer resets its context per message, so each message is decoded alone even when
        // several arrive at once: how they were batched never changes the outcome.
        inflateReset(stream_.get());
    }
    return {};
}

void MessageInflater::release_if_idle() noexcept {
    if (release_when_idle_ && !in_message_) {
        end();  // the peer resets its context: no window is kept while idle
    }
}

// --- SharedDeflater ---

MessageDeflater& SharedDeflater::for_window(int window_bits) {
    const int bits = std::clamp(window_bits, kMinZlibWindowBits, kMaxWindowBits);
    auto& slot = by_bits_[static_cast<std::size_t>(bits - kMinZlibWindowBits)];
    if (!slot) {
        slot.emplace(
                DeflaterSettings{.window_bits = bits, .mem_level = mem_level_, .level = level_},
                memory_);
    }
    return *slot;
}

// --- PerMessageDeflate ---

PerMessageDeflate::PerMessageDeflate(Role role, const DeflateSetup& setup)
    : agreement_(setup.agreement),
      threshold_(setup.threshold),
      // A window of 8 is compressed with 9, which stays within 8 bits' reach (kMinZlibWindowBits).
      send_bits_(std::max(kMinZlibWindowBits, role == Role::server
                                                      ? agreement_.server_max_window_bits
                                                      : agreement_.client_max_window_bits)),
      send_reset_(role == Role::server ? agreement_.server_no_context_takeover
                                       : agreement_.client_no_context_takeover),
      shared_(send_reset_ ? setup.shared : nullptr),
      inflater_(role == Role::server ? agreement_.client_max_window_bits
                                     : agreement_.server_max_window_bits,
                role == Role::server ? agreement_.client_no_context_takeover
                                     : agreement_.server_no_context_takeover,
                setup.memory) {
    if (shared_ == nullptr) {
        own_.emplace(DeflaterSettings{.window_bits = send_bits_,
                                      .mem_level = setup.mem_level,
                                      .level = setup.level},
                     setup.memory);
    }
}

std::string* PerMessageDeflate::compress(std::string_view data) {
    if (data.size() < threshold_) {
        return nullptr;
    }
    if (shared_ != nullptr) {
        std::string& out = shared_->scratch();
        return shared_->for_window(send_bits_).compress(data, out, true) ? nullptr : &out;
    }
    return own_->compress(data, scratch_, send_reset_) ? nullptr : &scratch_;
}

}  // namespace wsx::proto
