// wsx::net::SlotPool: fixed-size slots for objects every connection holds one of (its TCP
// transport; the connections themselves live in their loop's table). They are carved in order from
// 64 KiB blocks and reused last-freed-first, so each costs exactly its size: no allocator header
// per object (8 bytes with glibc, and a 16 B transport takes a 32 B chunk), and no holes left
// between connections by the handshake's short-lived allocations in the general heap. Blocks are
// kept for reuse once taken, so the pool holds at most the peak number of objects. Any thread may
// allocate and free (one mutex, taken once per connection opened and once per connection closed,
// never per message).
//
// Written by hand: a free list over bump-allocated blocks is some 40 lines, and the packaged
// alternative (Boost.Pool) would make Boost a build dependency of the library for it. Under
// AddressSanitizer the pool steps aside (plain operator new), so use-after-free stays detected.
#pragma once

#include <cstddef>
#include <mutex>

#if defined(__SANITIZE_ADDRESS__)
#define WSX_SLOT_POOL_BYPASS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WSX_SLOT_POOL_BYPASS 1
#endif
#endif

namespace wsx::net {

class SlotPool {
public:
    static constexpr std::size_t kBlockSize = std::size_t{64} * 1024;
#ifdef WSX_SLOT_POOL_BYPASS
    static constexpr bool kPooling = false;  // AddressSanitizer: every slot from operator new
#else
    static constexpr bool kPooling = true;
#endif

    /// Slots of `size` bytes (rounded up to 8), at most kBlockSize / 4.
    explicit SlotPool(std::size_t size) noexcept;
    SlotPool(const SlotPool&) = delete;
    SlotPool& operator=(const SlotPool&) = delete;
    /// Frees the blocks: every slot must have come back. The pools of of() are never destroyed
    /// (objects may outlive static destruction).
    ~SlotPool();

    /// A slot; throws std::bad_alloc as operator new does.
    [[nodiscard]] void* allocate();

    /// Returns a slot allocate() gave.
    void deallocate(void* slot) noexcept;

    /// The process's pool for objects of type T (created on first use, never destroyed).
    template <class T>
    [[nodiscard]] static SlotPool& of() {
        static_assert(alignof(T) <= alignof(void*));
        static SlotPool* const kPool = new SlotPool(sizeof(T));
        return *kPool;
    }

    /// Slots handed out and not returned.
    [[nodiscard]] std::size_t in_use() const noexcept;

private:
    struct FreeSlot {
        FreeSlot* next;
    };

    mutable std::mutex mutex_;
    std::size_t size_;
    // Unused when AddressSanitizer bypasses the pool (hence maybe_unused).
    [[maybe_unused]] FreeSlot* free_ = nullptr;
    void* blocks_ = nullptr;                 // each block's first word: the block taken before
    [[maybe_unused]] char* next_ = nullptr;  // the unused rest of the newest block
    [[maybe_unused]] char* end_ = nullptr;
    std::size_t in_use_ = 0;
};

/// `size` bytes (a power of two, at least a page) of fresh zero pages aligned to `size`, straight
/// from the kernel (mmap), so that an object inside finds the block's start by masking its own
/// address; untouched pages cost nothing. Null if the kernel refuses.
[[nodiscard]] void* map_aligned_block(std::size_t size) noexcept;

/// Returns a block map_aligned_block() gave, with the same size.
void unmap_aligned_block(void* block, std::size_t size) noexcept;

}  // namespace wsx::net
