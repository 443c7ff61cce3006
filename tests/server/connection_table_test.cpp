// The loop's connection table: ids name their slot, a freed slot is reused under a new id, and an
// old id never finds the connection that took its slot.
#include "server/connection_table.hpp"

#include <vector>

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
    t.emplace(id, Fake{id});
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
    Fake* gone = t.retire(a);
    ASSERT_NE(gone, nullptr);
    EXPECT_EQ(gone->id, a);
    EXPECT_EQ(t.retire(a), nullptr);  // once
    EXPECT_EQ(t.find(a), nullptr);
    EXPECT_EQ(t.size(), 1U);
    // Retired, not yet destroyed: its slot is not handed out again.
    EXPECT_EQ((t.next_id(99, 3) >> 8) & Table::kSlotMask, 2U);
    t.destroy(gone);
    t.destroy(nullptr);
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

// Counts constructions and destructions, to check that every connection built is destroyed once.
struct Counted {
    Counted(std::uint64_t i, int& l) : id(i), live(&l) { ++*live; }

    Counted(const Counted&) = delete;
    Counted& operator=(const Counted&) = delete;

    ~Counted() { --*live; }

    [[nodiscard]] std::uint64_t connection_id() const noexcept { return id; }

    std::uint64_t id;
    int* live;
};

TEST(ConnectionTable, ConnectionsLiveInPlaceAcrossChunksAndClearDestroysRetiredOnesToo) {
    using CountedTable = ConnectionTable<Counted, 8>;
    int live = 0;
    int owner = 0;  // any address: what each connection finds as its table's owner
    {
        CountedTable t(&owner);
        std::vector<std::uint64_t> ids;
        std::vector<const Counted*> where;
        const std::size_t n = 3 * CountedTable::kChunkSlots + 5;
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint64_t id = t.next_id(i + 1, 1);
            where.push_back(&t.emplace(id, id, live));
            ids.push_back(id);
        }
        EXPECT_EQ(live, static_cast<int>(n));
        for (std::size_t i = 0; i < n; ++i) {
            ASSERT_EQ(t.find(ids[i]), where[i]);  // built in place: addresses never move
            ASSERT_EQ(connection_table_owner(where[i]), &owner);  // from the address alone
        }
        // One retired and left for the table to destroy, one destroyed now.
        ASSERT_NE(t.retire(ids[7]), nullptr);
        t.destroy(t.retire(ids[8]));
        EXPECT_EQ(live, static_cast<int>(n) - 1);
        EXPECT_EQ(t.size(), n - 2);
        t.clear();
        EXPECT_EQ(live, 0);
        EXPECT_TRUE(t.empty());
        EXPECT_EQ(t.find(ids[0]), nullptr);
        const std::uint64_t again = t.next_id(1000, 1);
        t.emplace(again, again, live);  // usable after clear()
        EXPECT_EQ(live, 1);
    }
    EXPECT_EQ(live, 0);  // the destructor destroys what is left
}

}  // namespace
}  // namespace wsx::detail
