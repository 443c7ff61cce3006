// A message's growable byte buffer; see message_buffer.hpp.
#include "wsx/proto/message_buffer.hpp"

#include <algorithm>
#include <cstring>

namespace wsx::proto {

void MessageBuffer::reserve(std::size_t n) {
    if (n <= capacity_) {
        return;
    }
    auto grown = std::make_unique_for_overwrite<char[]>(n);  // not zeroed: written before read
    if (size_ > 0) {
        std::memcpy(grown.get(), data_.get(), size_);
    }
    data_ = std::move(grown);
    capacity_ = n;
}

void MessageBuffer::grow_for(std::size_t n) {
    if (capacity_ - size_ < n) {
        reserve(std::max(size_ + n, capacity_ * 2));
    }
}

void MessageBuffer::append(std::string_view bytes) {
    if (bytes.empty()) {
        return;
    }
    grow_for(bytes.size());
    std::memcpy(data_.get() + size_, bytes.data(), bytes.size());
    size_ += bytes.size();
}

char* MessageBuffer::extend(std::size_t n) {
    grow_for(n);
    char* at = data_.get() + size_;
    size_ += n;
    return at;
}

}  // namespace wsx::proto
