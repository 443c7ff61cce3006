// The bytes of one message being gathered: a growable byte buffer, like std::string, except that
// growing leaves the new bytes unwritten (std::string would zero them first). What is added is
// written at once anyway: copied in by append(), inflated in by zlib through extend(), or read
// straight from the socket into spare() and then commit()ted. So a large message costs one pass
// over its bytes, not two. Plain movable value.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

namespace wsx::proto {

class MessageBuffer {
public:
    [[nodiscard]] char* data() noexcept { return data_.get(); }

    [[nodiscard]] const char* data() const noexcept { return data_.get(); }

    [[nodiscard]] std::size_t size() const noexcept { return size_; }

    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

    [[nodiscard]] std::string_view view() const noexcept { return {data_.get(), size_}; }

    void clear() noexcept { size_ = 0; }

    /// Frees the storage.
    void release() noexcept {
        data_.reset();
        size_ = 0;
        capacity_ = 0;
    }

    /// Room for `n` bytes in all, exactly (the content kept).
    void reserve(std::size_t n);

    void append(std::string_view bytes);

    /// Grows by `n` unwritten bytes and returns where they start; write them, or truncate().
    [[nodiscard]] char* extend(std::size_t n);

    /// Drops the bytes past `n` (n <= size()).
    void truncate(std::size_t n) noexcept { size_ = n < size_ ? n : size_; }

    /// The room past the content, for bytes written in place and then commit()ted.
    [[nodiscard]] std::span<char> spare() noexcept {
        return {data_.get() + size_, capacity_ - size_};
    }

    /// The first `n` bytes of spare() are written: they become content (n <= spare().size()).
    void commit(std::size_t n) noexcept { size_ += n; }

private:
    void grow_for(std::size_t n);  // capacity for size_ + n, at least doubling

    std::unique_ptr<char[]> data_;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

}  // namespace wsx::proto
