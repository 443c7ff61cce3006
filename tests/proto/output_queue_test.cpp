#include "wsx/proto/output_queue.hpp"

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace wsx::proto {
namespace {

std::string contents(const OutputQueue& q) {
    std::string_view v[64];
    const auto n = q.peek(v);
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        s += v[i];
    }
    return s;
}

TEST(OutputQueue, SmallWritesCoalesceIntoOneBlock) {
    OutputQueue q;
    for (int i = 0; i < 100; ++i) {
        (void)q.append("abc");
    }
    std::string_view v[4];
    EXPECT_EQ(q.peek(v), 1U);
    EXPECT_EQ(q.size(), 300U);
}

TEST(OutputQueue, APairIsAppendedTogetherInOrderAcrossBlocks) {
    OutputQueue q;
    const std::string filler(OutputQueue::kBlockSize - 3, 'x');  // leaves 3 bytes in the block
    (void)q.append(filler);
    q.append("\x81\x05", "hello");  // 7 bytes: does not fit, goes whole into the next block
    q.append("", "!");
    EXPECT_EQ(q.size(), filler.size() + 8);
    std::string_view v[4];
    EXPECT_EQ(q.peek(v), 2U);
    EXPECT_EQ(v[1], std::string_view("\x81\x05hello!"));
    EXPECT_EQ(contents(q), filler + "\x81\x05hello!");
    q.consume(q.size());
    EXPECT_TRUE(q.empty());
}

TEST(OutputQueue, PartialConsumeKeepsOrder) {
    OutputQueue q;
    (void)q.append("hello ");
    q.append_block(std::string(OutputQueue::kBlockSize * 2, 'x'));
    (void)q.append(" world");
    q.consume(3);
    const std::string s = contents(q);
    EXPECT_EQ(s.substr(0, 3), "lo ");
    EXPECT_EQ(s.size(), q.size());
    EXPECT_EQ(s.substr(s.size() - 6), " world");
    q.consume(q.size());
    EXPECT_TRUE(q.empty());
    (void)q.append("again");
    EXPECT_EQ(contents(q), "again");
}

TEST(OutputQueue, AnIdleQueueHoldsNoListEitherAndTheNextWriterTakesItsList) {
    OutputQueue q;
    (void)q.append("x");
    const std::size_t lists = OutputQueue::pooled_lists();
    q.consume(1);
    EXPECT_EQ(OutputQueue::pooled_lists(), lists + 1);  // idle: its block list is pooled too
    OutputQueue other;
    (void)other.append("y");
    EXPECT_EQ(OutputQueue::pooled_lists(), lists);  // another queue took it
    (void)q.append("z");
    EXPECT_EQ(contents(q), "z");
    EXPECT_EQ(contents(other), "y");
}

TEST(OutputQueue, AWrittenOutQueueGivesItsBlockToTheThreadsPool) {
    OutputQueue q;
    (void)q.append(std::string(100, 'a'));
    const std::size_t pooled = OutputQueue::pooled_blocks();
    q.consume(60);
    EXPECT_EQ(OutputQueue::pooled_blocks(), pooled);  // bytes still wait: the block stays
    q.consume(40);
    EXPECT_EQ(OutputQueue::pooled_blocks(), pooled + 1);  // idle: it holds no block
    (void)q.append("next");
    EXPECT_EQ(OutputQueue::pooled_blocks(), pooled);  // taken back from the pool
    EXPECT_EQ(contents(q), "next");
}

TEST(OutputQueue, ThePoolIsBoundedAndLargeBlocksAreFreed) {
    // On a new thread: the pool is per thread and starts empty there.
    std::size_t after_big = 99;
    std::size_t after_many = 0;
    std::thread([&] {
        OutputQueue big;
        big.append_block(std::string(1 << 20, 'b'));
        big.consume(1 << 20);
        after_big = OutputQueue::pooled_blocks();  // 0: a 1 MiB block is freed, not kept
        std::vector<OutputQueue> queues(100);
        for (auto& q : queues) {
            (void)q.append("x");
        }
        for (auto& q : queues) {
            q.consume(1);
        }
        after_many = OutputQueue::pooled_blocks();
    }).join();
    EXPECT_EQ(after_big, 0U);
    EXPECT_EQ(after_many, 64U);
}

TEST(OutputQueue, AMovedQueueKeepsItsBytesAndADestroyedOneReturnsItsBlocks) {
    std::size_t pooled = 99;
    std::thread([&] {  // a new thread's pool starts empty
        {
            OutputQueue a;
            (void)a.append("hello");
            OutputQueue b(std::move(a));
            EXPECT_EQ(contents(b), "hello");
            OutputQueue c;
            c = std::move(b);
            EXPECT_EQ(c.size(), 5U);
            EXPECT_EQ(contents(c), "hello");
        }
        pooled = OutputQueue::pooled_blocks();
    })
            .join();
    EXPECT_EQ(pooled, 1U);  // the one block, given back once
}

}  // namespace
}  // namespace wsx::proto
