// Bytes an endpoint has produced and the transport has not yet written. Small writes coalesce
// into 16 KiB blocks; large payloads get a block of their own, so the transport can hand many
// frames to one writev() call and a large frame is copied once. Its size is the browser API's
// bufferedAmount. A queue holds blocks only while bytes wait in it: once written out, its blocks
// go back to a small per-thread pool (64 blocks at most), where the next queue to write on that
// thread takes them, and so does the chain that listed them: an idle connection's queue is one
// word and holds no heap at all, and a connection that writes small messages one at a time
// allocates nothing per message.
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

    /// Appends `first` then `second`, as one append of the two together (a small frame's header
    /// and payload).
    void append(std::string_view first, std::string_view second);

    /// Appends a block the caller built, without copying it.
    void append_block(std::string&& block);

    /// Bytes queued.
    [[nodiscard]] std::size_t size() const noexcept { return chain_ != nullptr ? chain_->size : 0; }

    [[nodiscard]] bool empty() const noexcept { return size() == 0; }

    /// Fills `out` with views of the oldest queued bytes, in order; returns how many it filled.
    /// The views live until the next append or consume.
    [[nodiscard]] std::size_t peek(std::span<std::string_view> out) const noexcept;

    /// Drops the oldest `n` bytes (n <= size()).
    void consume(std::size_t n) noexcept;

    static constexpr std::size_t kBlockSize = 16 * 1024;

    /// Blocks, and empty chains, in the calling thread's pool (for tests and statistics).
    [[nodiscard]] static std::size_t pooled_blocks() noexcept;
    [[nodiscard]] static std::size_t pooled_lists() noexcept;

    /// The blocks of a queue with bytes waiting, and their size (pooled in output_queue.cpp).
    struct Chain {
        std::vector<std::string> blocks;  // blocks[head] is the oldest; those before it are gone
        std::size_t head = 0;
        std::size_t head_offset = 0;  // bytes of blocks[head] already consumed
        std::size_t size = 0;         // bytes waiting
    };

private:
    void pop_front_block() noexcept;
    void release_all() noexcept;
    void append_block_unchecked(std::string&& block);
    // The last block, with room for `n` more bytes (a new one if it has none), counted in size.
    std::string& tail_with_room(std::size_t n);

    Chain* chain_ = nullptr;  // only while bytes wait; from the thread's pool
};

}  // namespace wsx::proto
