// Output queue; see output_queue.hpp.
#include "wsx/proto/output_queue.hpp"

#include <iterator>
#include <utility>

namespace wsx::proto {

std::span<char> OutputQueue::append(std::string_view bytes) {
    const bool fits_tail =
            block_count() > 0 && blocks_.back().size() + bytes.size() <= blocks_.back().capacity();
    if (!fits_tail) {
        std::string block = std::move(spare_);
        spare_ = std::string();
        block.clear();
        block.reserve(bytes.size() < kBlockSize ? kBlockSize : bytes.size());
        append_block_unchecked(std::move(block));
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
    if (head_ > 0 && head_ == blocks_.size()) {
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
    std::string& front = blocks_[head_];
    if (front.capacity() <= 2 * kBlockSize) {
        spare_ = std::move(front);
    } else {
        front = std::string();  // a large payload's block: give its memory back now
    }
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
        if (head_ + 1 == blocks_.size() && blocks_[head_].capacity() <= 2 * kBlockSize) {
            // The last block, written out: kept in place for the next append.
            blocks_[head_].clear();
            head_offset_ = 0;
            return;
        }
        pop_front_block();
    }
    if (size_ == 0 && block_count() > 0 && blocks_[head_].size() == head_offset_) {
        head_offset_ = 0;
        blocks_[head_].clear();
    }
}

}  // namespace wsx::proto
