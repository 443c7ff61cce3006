// Output queue; see output_queue.hpp.
#include "wsx/proto/output_queue.hpp"

#include <utility>

namespace wsx::proto {

std::span<char> OutputQueue::append(std::string_view bytes) {
    const bool fits_tail =
            !blocks_.empty() && blocks_.back().size() + bytes.size() <= blocks_.back().capacity();
    if (!fits_tail) {
        std::string block = std::move(spare_);
        spare_ = std::string();
        block.clear();
        block.reserve(bytes.size() < kBlockSize ? kBlockSize : bytes.size());
        blocks_.push_back(std::move(block));
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
    blocks_.push_back(std::move(block));
}

std::size_t OutputQueue::peek(std::span<std::string_view> out) const noexcept {
    std::size_t filled = 0;
    for (std::size_t i = 0; i < blocks_.size() && filled < out.size(); ++i) {
        std::string_view block = blocks_[i];
        if (i == 0) {
            block.remove_prefix(head_offset_);
        }
        if (!block.empty()) {
            out[filled++] = block;
        }
    }
    return filled;
}

void OutputQueue::consume(std::size_t n) noexcept {
    size_ -= n;
    while (n > 0) {
        std::string& front = blocks_.front();
        const std::size_t avail = front.size() - head_offset_;
        if (n < avail) {
            head_offset_ += n;
            return;
        }
        n -= avail;
        head_offset_ = 0;
        if (front.capacity() <= 2 * kBlockSize) {
            spare_ = std::move(front);
        }
        blocks_.pop_front();
    }
    if (size_ == 0 && !blocks_.empty() && blocks_.front().size() == head_offset_) {
        head_offset_ = 0;
        blocks_.front().clear();
    }
}

}  // namespace wsx::proto
