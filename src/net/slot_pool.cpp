#include "net/slot_pool.hpp"

#include <cstdint>
#include <new>

#include <sys/mman.h>

namespace wsx::net {

namespace {

constexpr std::size_t round_up(std::size_t n) noexcept {
    constexpr std::size_t kAlign = alignof(void*);
    return (n + kAlign - 1) / kAlign * kAlign;
}

}  // namespace

SlotPool::SlotPool(std::size_t size) noexcept
    : size_(round_up(size < sizeof(FreeSlot) ? sizeof(FreeSlot) : size)) {}

SlotPool::~SlotPool() {
    while (blocks_ != nullptr) {
        void* next = *static_cast<void**>(blocks_);
        ::operator delete(blocks_);
        blocks_ = next;
    }
}

void* SlotPool::allocate() {
#ifdef WSX_SLOT_POOL_BYPASS
    {
        const std::lock_guard lock(mutex_);
        ++in_use_;
    }
    return ::operator new(size_);
#else
    const std::lock_guard lock(mutex_);
    if (free_ != nullptr) {
        FreeSlot* slot = free_;
        free_ = slot->next;
        ++in_use_;
        return slot;
    }
    if (static_cast<std::size_t>(end_ - next_) < size_) {
        // The old block's tail (less than one slot) stays unused; blocks are kept for reuse.
        auto* block = static_cast<char*>(::operator new(kBlockSize));
        *reinterpret_cast<void**>(block) = blocks_;
        blocks_ = block;
        next_ = block + sizeof(void*);
        end_ = block + kBlockSize;
    }
    void* slot = next_;
    next_ += size_;
    ++in_use_;
    return slot;
#endif
}

void SlotPool::deallocate(void* slot) noexcept {
    if (slot == nullptr) {
        return;
    }
#ifdef WSX_SLOT_POOL_BYPASS
    {
        const std::lock_guard lock(mutex_);
        --in_use_;
    }
    ::operator delete(slot);
#else
    const std::lock_guard lock(mutex_);
    auto* s = static_cast<FreeSlot*>(slot);
    s->next = free_;
    free_ = s;
    --in_use_;
#endif
}

std::size_t SlotPool::in_use() const noexcept {
    const std::lock_guard lock(mutex_);
    return in_use_;
}

void* map_aligned_block(std::size_t size) noexcept {
    // Twice the size, then the unaligned head and tail go back: an aligned block remains.
    void* raw =
            ::mmap(nullptr, 2 * size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
        return nullptr;
    }
    char* const start = static_cast<char*>(raw);
    const std::size_t lead = (size - reinterpret_cast<std::uintptr_t>(start) % size) % size;
    char* const aligned = start + lead;
    if (lead > 0) {
        ::munmap(start, lead);
    }
    if (size - lead > 0) {
        ::munmap(aligned + size, size - lead);  // the tail past the block
    }
    return aligned;
}

void unmap_aligned_block(void* block, std::size_t size) noexcept {
    if (block != nullptr) {
        ::munmap(block, size);
    }
}

}  // namespace wsx::net
