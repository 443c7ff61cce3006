// Bytes an endpoint has produced and the transport has not yet written. Small writes coalesce
// into 16 KiB blocks; large payloads get a block of their own, so the transport can hand many
// frames to one writev() call and a large frame is copied once. Its size is the browser API's
// bufferedAmount. A queue holds blocks only while bytes wait in it: once written out, its blocks
// go back to a small per-thread pool (64 blocks at most), where the next queue to write on that
// thread takes them, and so does the list that held them: an idle connection's queue holds no
// heap at all, and a connection that writes small messages one at a time allocates nothing per
// message.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wsx::proto {

/// FIFO of output bytes. Movable, not copyable; distinct objects safe, shared objects unsafe.
class OutputQueue {
public:
    OutputQueue() = default;
    OutputQueue(const OutputQueue&) = delete;
    OutputQueue& operator=(const OutputQueue&) = delete;
    OutputQueue(OutputQueue&& other) noexcept;
    OutputQueue& operator=(OutputQueue&& other) noexcept;
    ~OutputQueue();

    /// Appends `bytes`; returns where they now live, valid until the next append or consume.
    std::span<char> append(std::string_view bytes);

    /// Appends a block the caller built, without copying it.
    void append_block(std::string&& block);

    /// Bytes queued.
    [[nodiscard]] std::size_t size() const noexcept { return size_; }

    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

    /// Fills `out` with views of the oldest queued bytes, in order; returns how many it filled.
    /// The views live until the next append or consume.
    [[nodiscard]] std::size_t peek(std::span<std::string_view> out) const noexcept;

    /// Drops the oldest `n` bytes (n <= size()).
    void consume(std::size_t n) noexcept;

    static constexpr std::size_t kBlockSize = 16 * 1024;

    /// Blocks, and empty block lists, in the calling thread's pool (for tests and statistics).
    [[nodiscard]] static std::size_t pooled_blocks() noexcept;
    [[nodiscard]] static std::size_t pooled_lists() noexcept;

private:
    [[nodiscard]] std::size_t block_count() const noexcept { return blocks_.size() - head_; }

    void pop_front_block() noexcept;
    void release_all() noexcept;
    void append_block_unchecked(std::string&& block);

    std::vector<std::string> blocks_;  // blocks_[head_] is the oldest; those before it are gone
    std::size_t head_ = 0;
    std::size_t head_offset_ = 0;  // bytes of blocks_[head_] already consumed
    std::size_t size_ = 0;
};

}  // namespace wsx::proto
