#include "wsx/proto/output_queue.hpp"

#include <string>

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

}  // namespace
}  // namespace wsx::proto
