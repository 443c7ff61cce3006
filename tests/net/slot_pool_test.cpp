#include "net/slot_pool.hpp"

#include <cstdint>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace wsx::net {
namespace {

TEST(SlotPool, SlotsAreDistinctAlignedAndWritableAcrossBlocks) {
    SlotPool pool(100);                                        // rounded up to 104
    const std::size_t count = 3 * SlotPool::kBlockSize / 104;  // three blocks' worth
    std::vector<void*> slots;
    std::set<std::uintptr_t> seen;
    for (std::size_t i = 0; i < count; ++i) {
        void* p = pool.allocate();
        ASSERT_EQ(reinterpret_cast<std::uintptr_t>(p) % alignof(void*), 0U);
        std::memset(p, static_cast<int>(i & 0xff), 100);
        slots.push_back(p);
        seen.insert(reinterpret_cast<std::uintptr_t>(p));
    }
    EXPECT_EQ(seen.size(), count);
    EXPECT_EQ(pool.in_use(), count);
    // No two slots overlap: each still holds its own byte.
    for (std::size_t i = 0; i < count; ++i) {
        const auto* b = static_cast<const unsigned char*>(slots[i]);
        ASSERT_EQ(b[0], i & 0xff);
        ASSERT_EQ(b[99], i & 0xff);
    }
    for (void* p : slots) {
        pool.deallocate(p);
    }
    EXPECT_EQ(pool.in_use(), 0U);
}

TEST(SlotPool, AFreedSlotIsReusedBeforeNewMemory) {
    SlotPool pool(16);
    void* a = pool.allocate();
    void* b = pool.allocate();
    pool.deallocate(a);
    void* c = pool.allocate();
    if (SlotPool::kPooling) {
        EXPECT_EQ(c, a);  // last freed, first reused (AddressSanitizer's build uses operator new)
    }
    pool.deallocate(b);
    pool.deallocate(c);
    pool.deallocate(nullptr);  // allowed, as for operator delete
    EXPECT_EQ(pool.in_use(), 0U);
}

TEST(SlotPool, ThreadsAllocateAndFreeConcurrently) {
    SlotPool pool(48);
    constexpr int kThreads = 4;
    constexpr int kRounds = 2000;
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&pool, t] {
            std::vector<void*> mine;
            for (int i = 0; i < kRounds; ++i) {
                auto* p = static_cast<int*>(pool.allocate());
                *p = t;
                mine.push_back(p);
                if (i % 3 == 2) {
                    EXPECT_EQ(*static_cast<int*>(mine.front()), t);
                    pool.deallocate(mine.front());
                    mine.erase(mine.begin());
                }
            }
            for (void* p : mine) {
                EXPECT_EQ(*static_cast<int*>(p), t);
                pool.deallocate(p);
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_EQ(pool.in_use(), 0U);
}

}  // namespace
}  // namespace wsx::net
