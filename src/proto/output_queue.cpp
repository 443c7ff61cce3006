// Output queue; see output_queue.hpp.
#include "wsx/proto/output_queue.hpp"

#include <iterator>
#include <utility>
#include <vector>

namespace wsx::proto {

namespace {

// Drained 16 KiB blocks, per thread, for the next queue that writes: a connection holds a block
// only while it has output waiting, so an idle one holds none. Bounded; past it blocks are freed.
// The block lists (a queue's vector) of drained queues too, so an idle queue holds no heap at
// all and the next queue to write takes a list instead of allocating one.
constexpr std::size_t kPoolMaxBlocks = 64;
constexpr std::size_t kPoolMaxLists = 64;
constexpr std::size_t kPooledListCapacity = 16;  // a list grown past it by a burst is freed

struct BlockPool {
    BlockPool() {
        blocks.reserve(kPoolMaxBlocks);
        lists.reserve(kPoolMaxLists);
    }

    BlockPool(const BlockPool&) = delete;
    BlockPool& operator=(const BlockPool&) = delete;
    ~BlockPool();

    std::vector<std::string> blocks;
    std::vector<std::vector<std::string>> lists;  // empty, with capacity
};

// Set once the thread's pool is destroyed (a queue outliving it, in a static, frees its blocks).
thread_local bool pool_gone = false;

BlockPool::~BlockPool() {
    pool_gone = true;
}

BlockPool* thread_pool() noexcept {
    thread_local BlockPool pool;
    return pool_gone ? nullptr : &pool;
}

std::vector<std::string>* block_pool() noexcept {
    BlockPool* pool = thread_pool();
    return pool != nullptr ? &pool->blocks : nullptr;
}

// An empty list with room for a few blocks: the pool's, or a new one.
std::vector<std::string> acquire_list() {
    BlockPool* pool = thread_pool();
    if (pool != nullptr && !pool->lists.empty()) {
        std::vector<std::string> list = std::move(pool->lists.back());
        pool->lists.pop_back();
        return list;
    }
    std::vector<std::string> list;
    list.reserve(4);
    return list;
}

// Takes an empty list's storage back (or frees it).
void release_list(std::vector<std::string>& list) noexcept {
    BlockPool* pool = thread_pool();
    if (pool != nullptr && list.capacity() > 0 && list.capacity() <= kPooledListCapacity
        && pool->lists.size() < kPoolMaxLists) {
        pool->lists.push_back(std::move(list));  // capacity reserved up front: never allocates
    }
    list = std::vector<std::string>();
}

std::string acquire_block(std::size_t at_least) {
    auto* pool = block_pool();
    if (at_least <= OutputQueue::kBlockSize && pool != nullptr && !pool->empty()) {
        std::string block = std::move(pool->back());
        pool->pop_back();
        return block;
    }
    std::string block;
    block.reserve(at_least < OutputQueue::kBlockSize ? OutputQueue::kBlockSize : at_least);
    return block;
}

void release_block(std::string&& block) noexcept {
    auto* pool = block_pool();
    if (pool != nullptr && block.capacity() >= OutputQueue::kBlockSize
        && block.capacity() <= 2 * OutputQueue::kBlockSize && pool->size() < kPoolMaxBlocks) {
        block.clear();
        pool->push_back(std::move(block));  // capacity reserved up front: never allocates
    }
    block = std::string();
}

}  // namespace

std::size_t OutputQueue::pooled_blocks() noexcept {
    const auto* pool = block_pool();
    return pool != nullptr ? pool->size() : 0;
}

std::size_t OutputQueue::pooled_lists() noexcept {
    const BlockPool* pool = thread_pool();
    return pool != nullptr ? pool->lists.size() : 0;
}

OutputQueue::~OutputQueue() {
    release_all();
}

OutputQueue::OutputQueue(OutputQueue&& other) noexcept
    : blocks_(std::move(other.blocks_)),
      head_(std::exchange(other.head_, 0)),
      head_offset_(std::exchange(other.head_offset_, 0)),
      size_(std::exchange(other.size_, 0)) {
    other.blocks_.clear();
}

OutputQueue& OutputQueue::operator=(OutputQueue&& other) noexcept {
    if (this != &other) {
        release_all();
        blocks_ = std::move(other.blocks_);
        head_ = std::exchange(other.head_, 0);
        head_offset_ = std::exchange(other.head_offset_, 0);
        size_ = std::exchange(other.size_, 0);
        other.blocks_.clear();
    }
    return *this;
}

void OutputQueue::release_all() noexcept {
    for (std::size_t i = head_; i < blocks_.size(); ++i) {
        release_block(std::move(blocks_[i]));
    }
    blocks_.clear();
    release_list(blocks_);
    head_ = 0;
    head_offset_ = 0;
    size_ = 0;
}

std::span<char> OutputQueue::append(std::string_view bytes) {
    const bool fits_tail =
            block_count() > 0 && blocks_.back().size() + bytes.size() <= blocks_.back().capacity();
    if (!fits_tail) {
        append_block_unchecked(acquire_block(bytes.size()));
    }
    std::string& tail = blocks_.back();
    const std::size_t at = tail.size();
    tail.append(bytes);
    size_ += bytes.size();
    return {tail.data() + at, bytes.size()};
}

void OutputQueue::append_block(std::string&& block) {
    if (block.empty()) {
        return;
    }
    size_ += block.size();
    append_block_unchecked(std::move(block));
}

void OutputQueue::append_block_unchecked(std::string&& block) {
    if (blocks_.capacity() == 0) {
        blocks_ = acquire_list();
    } else if (head_ > 0 && head_ == blocks_.size()) {
        blocks_.clear();  // all consumed: start again at the front, keeping the capacity
        head_ = 0;
    } else if (head_ > 0 && blocks_.size() == blocks_.capacity()) {
        // Full: drop the consumed front before growing.
        blocks_.erase(blocks_.begin(), blocks_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }
    blocks_.push_back(std::move(block));
}

std::size_t OutputQueue::peek(std::span<std::string_view> out) const noexcept {
    std::size_t filled = 0;
    for (std::size_t i = head_; i < blocks_.size() && filled < out.size(); ++i) {
        std::string_view block = blocks_[i];
        if (i == head_) {
            block.remove_prefix(head_offset_);
        }
        if (!block.empty()) {
            out[filled++] = block;
        }
    }
    return filled;
}

void OutputQueue::pop_front_block() noexcept {
    release_block(std::move(blocks_[head_]));  // a large payload's block is freed at once
    ++head_;
    head_offset_ = 0;
}

void OutputQueue::consume(std::size_t n) noexcept {
    size_ -= n;
    while (n > 0) {
        const std::size_t avail = blocks_[head_].size() - head_offset_;
        if (n < avail) {
            head_offset_ += n;
            return;
        }
        n -= avail;
        pop_front_block();
    }
    if (size_ == 0) {
        release_all();  // written out: the blocks go back to the thread's pool
    }
}

}  // namespace wsx::proto
