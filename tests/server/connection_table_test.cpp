// The loop's connection table: ids name their slot, a freed slot is reused under a new id, and an
// old id never finds the connection that took its slot.
#include "server/connection_table.hpp"

#include <gtest/gtest.h>

namespace wsx::detail {
namespace {

struct Fake {
    std::uint64_t id;

    [[nodiscard]] std::uint64_t connection_id() const noexcept { return id; }
};

using Table = ConnectionTable<Fake, 8>;

std::uint64_t add(Table& t, std::uint64_t sequence, unsigned loop = 3) {
    const std::uint64_t id = t.next_id(sequence, loop);
    t.insert(std::make_unique<Fake>(Fake{id}));
    return id;
}

TEST(ConnectionTable, IdsNameTheLoopAndTheSlotAndAreFoundByThem) {
    Table t;
    const std::uint64_t a = add(t, 1);
    const std::uint64_t b = add(t, 2);
    EXPECT_EQ(a & 0xFF, 3U);
    EXPECT_EQ((a >> 8) & Table::kSlotMask, 0U);
    EXPECT_EQ((b >> 8) & Table::kSlotMask, 1U);
    EXPECT_NE(a, b);
    ASSERT_NE(t.find(a), nullptr);
    EXPECT_EQ(t.find(a)->id, a);
    EXPECT_EQ(t.find(b)->id, b);
    EXPECT_EQ(t.find(b + (1U << 8) * 5), nullptr);  // a slot never used
    EXPECT_EQ(t.size(), 2U);
}

TEST(ConnectionTable, AFreedSlotIsReusedAndItsOldIdFindsNothing) {
    Table t;
    const std::uint64_t a = add(t, 10);
    const std::uint64_t b = add(t, 11);
    auto gone = t.take(a);
    ASSERT_NE(gone, nullptr);
    EXPECT_EQ(gone->id, a);
    EXPECT_EQ(t.take(a), nullptr);  // once
    EXPECT_EQ(t.find(a), nullptr);
    const std::uint64_t c = add(t, 12);
    EXPECT_EQ((c >> 8) & Table::kSlotMask, 0U);  // a's slot
    EXPECT_NE(c, a);
    EXPECT_EQ(t.find(a), nullptr);  // the old id does not find the new connection
    EXPECT_EQ(t.find(c)->id, c);
    EXPECT_EQ(t.size(), 2U);
    const auto all = t.all();
    ASSERT_EQ(all.size(), 2U);
    EXPECT_EQ(all[0]->id, c);
    EXPECT_EQ(all[1]->id, b);
    t.clear();
    EXPECT_TRUE(t.empty());
    EXPECT_EQ(t.find(b), nullptr);
}

}  // namespace
}  // namespace wsx::detail
