// One read buffer per thread, shared by every connection the thread's loop runs: what a read
// brings is handed to the protocol object, which keeps views of it only until its events are
// drained, before the next read. A connection keeps nothing of its own but the tail of a partial
// frame (inside its protocol object). A read made while the buffer is in use (a callback running
// a nested loop on the same thread, as BlockingWebSocket does) gets a private buffer.
// Rule: nothing here is shared across threads.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

namespace wsx::detail {

class ReadBufferLease {
public:
    static constexpr std::size_t kSize = 256 * 1024;

    ReadBufferLease();
    ReadBufferLease(const ReadBufferLease&) = delete;
    ReadBufferLease& operator=(const ReadBufferLease&) = delete;
    ~ReadBufferLease();

    [[nodiscard]] std::span<char> bytes() const noexcept { return {data_, kSize}; }

private:
    std::unique_ptr<char[]> own_;  // only for a nested read
    char* data_ = nullptr;
    bool shared_ = false;
};

}  // namespace wsx::detail
