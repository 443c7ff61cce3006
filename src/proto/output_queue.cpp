// Output queue; see output_queue.hpp.
#include "wsx/proto/output_queue.hpp"

#include <iterator>
#include <memory>
#include <utility>
#include <vector>

namespace wsx::proto {

namespace {

// Drained 16 KiB blocks, per thread, for the next queue that writes: a connection holds a block
// only while it has output waiting, so an idle one holds none. Bounded; past it blocks are freed.
// The chains (a queue's list of blocks) of drained queues too, so an idle queue holds no heap at
// all and the next queue to write takes a chain instead of allocating one.
constexpr std::size_t kPoolMaxBlocks = 64;
constexpr std::size_t kPoolMaxChains = 64;
constexpr std::size_t kPooledChainCapacity = 16;  // a chain grown past it by a burst is freed

using Chain = OutputQueue::Chain;

struct BlockPool {
    BlockPool() {
        blocks.reserve(kPoolMaxBlocks);
        chains.reserve(kPoolMaxChains);
    }

    BlockPool(const BlockPool&) = delete;
    BlockPool& operator=(const BlockPool&) = delete;
    ~BlockPool();

    std::vector<std::string> blocks;
    std::vector<std::unique_ptr<Chain>> chains;  // empty, with capacity
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

// An empty chain with room for a few blocks: the pool's, or a new one.
Chain* acquire_chain() {
    BlockPool* pool = thread_pool();
    if (pool != nullptr && !pool->chains.empty()) {
        Chain* chain = pool->chains.back().release();
        pool->chains.pop_back();
        return chain;
    }
    auto chain = std::make_unique<Chain>();
    chain->blocks.reserve(4);
    return chain.release();
}

// Takes an empty chain back (or frees it).
void release_chain(Chain* chain) noexcept {
    std::unique_ptr<Chain> owned(chain);
    BlockPool* pool = thread_pool();
    if (pool != nullptr && chain->blocks.capacity() <= kPooledChainCapacity
        && pool->chains.size() < kPoolMaxChains) {
        chain->blocks.clear();
        chain->head = 0;
        chain->head_offset = 0;
        chain->size = 0;
        pool->chains.push_back(std::move(owned));  // capacity reserved up front: never allocates
    }
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
    return pool != nullptr ? pool->chains.size() : 0;
}

OutputQueue::~OutputQueue() {
    release_all();
}

OutputQueue::OutputQueue(OutputQueue&& other) noexcept
    : chain_(std::exchange(other.chain_, nullptr)) {}

OutputQueue& OutputQueue::operator=(OutputQueue&& other) noexcept {
    if (this != &other) {
        release_all();
        chain_ = std::exchange(other.chain_, nullptr);
    }
    return *this;
}

void OutputQueue::release_all() noexcept {
    if (chain_ != nullptr) {
        auto& blocks = chain_->blocks;
        for (std::size_t i = chain_->head; i < blocks.size(); ++i) {
            release_block(std::move(blocks[i]));
        }
        release_chain(std::exchange(chain_, nullptr));
    }
}

std::string& OutputQueue::tail_with_room(std::size_t n) {
    const bool fits_tail = chain_ != nullptr && chain_->head < chain_->blocks.size()
                           && chain_->blocks.back().size() + n <= chain_->blocks.back().capacity();
    if (!fits_tail) {
        append_block_unchecked(acquire_block(n));
    }
    chain_->size += n;
    return chain_->blocks.back();
}

std::span<char> OutputQueue::append(std::string_view bytes) {
    std::string& tail = tail_with_room(bytes.size());
    const std::size_t at = tail.size();
    tail.append(bytes);
    return {tail.data() + at, bytes.size()};
}

void OutputQueue::append(std::string_view first, std::string_view second) {
    std::string& tail = tail_with_room(first.size() + second.size());
    tail.append(first);
    tail.append(second);
}

void OutputQueue::append_block(std::string&& block) {
    if (block.empty()) {
        return;
    }
    const std::size_t n = block.size();
    append_block_unchecked(std::move(block));
    chain_->size += n;
}

void OutputQueue::append_block_unchecked(std::string&& block) {
    if (chain_ == nullptr) {
        chain_ = acquire_chain();
    }
    Chain& c = *chain_;
    if (c.head > 0 && c.head == c.blocks.size()) {
        c.blocks.clear();  // all consumed: start again at the front, keeping the capacity
        c.head = 0;
    } else if (c.head > 0 && c.blocks.size() == c.blocks.capacity()) {
        // Full: drop the consumed front before growing.
        c.blocks.erase(c.blocks.begin(), c.blocks.begin() + static_cast<std::ptrdiff_t>(c.head));
        c.head = 0;
    }
    c.blocks.push_back(std::move(block));
}

std::size_t OutputQueue::peek(std::span<std::string_view> out) const noexcept {
    std::size_t filled = 0;
    if (chain_ == nullptr) {
        return 0;
    }
    const Chain& c = *chain_;
    for (std::size_t i = c.head; i < c.blocks.size() && filled < out.size(); ++i) {
        std::string_view block = c.blocks[i];
        if (i == c.head) {
            block.remove_prefix(c.head_offset);
        }
        if (!block.empty()) {
            out[filled++] = block;
        }
    }
    return filled;
}

void OutputQueue::pop_front_block() noexcept {
    Chain& c = *chain_;
    release_block(std::move(c.blocks[c.head]));  // a large payload's block is freed at once
    ++c.head;
    c.head_offset = 0;
}

void OutputQueue::consume(std::size_t n) noexcept {
    if (chain_ == nullptr) {
        return;
    }
    chain_->size -= n;
    if (chain_->size == 0) {
        release_all();  // written out: the blocks go back to the thread's pool
        return;
    }
    while (n > 0) {
        Chain& c = *chain_;
        const std::size_t avail = c.blocks[c.head].size() - c.head_offset;
        if (n < avail) {
            c.head_offset += n;
            return;
        }
        n -= avail;
        pop_front_block();
    }
}

}  // namespace wsx::proto
