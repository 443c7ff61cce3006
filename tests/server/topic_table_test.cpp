// TopicTable: the bookkeeping of one loop's topics, with plain objects as subscribers.
#include "server/topic_table.hpp"

#include <algorithm>
#include <array>
#include <random>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace wsx::detail {
namespace {

struct Sub {
    int id = 0;
};

std::set<int> ids(std::span<Sub* const> subs) {
    std::set<int> out;
    for (const Sub* s : subs) {
        out.insert(s->id);
    }
    return out;
}

TEST(TopicTable, SubscribesOnceAndCountsTopicsAndSubscriptions) {
    TopicTable<Sub> table;
    Sub a{1};
    Sub b{2};
    EXPECT_TRUE(table.subscribe("news", &a));
    EXPECT_FALSE(table.subscribe("news", &a));  // once per topic
    EXPECT_TRUE(table.subscribe("news", &b));
    EXPECT_TRUE(table.subscribe("sport", &a));
    EXPECT_EQ(table.topic_count(), 2U);
    EXPECT_EQ(table.subscription_count(), 3U);
    EXPECT_EQ(ids(table.subscribers("news")), (std::set<int>{1, 2}));
    EXPECT_EQ(ids(table.subscribers("sport")), (std::set<int>{1}));
    EXPECT_TRUE(table.subscribers("weather").empty());
    auto topics = table.topics_of(&a);
    std::sort(topics.begin(), topics.end());
    EXPECT_EQ(topics, (std::vector<std::string>{"news", "sport"}));
}

TEST(TopicTable, UnsubscribingTheLastSubscriberRemovesTheTopic) {
    TopicTable<Sub> table;
    Sub a{1};
    Sub b{2};
    (void)table.subscribe("news", &a);
    (void)table.subscribe("news", &b);
    EXPECT_TRUE(table.unsubscribe("news", &a));
    EXPECT_FALSE(table.unsubscribe("news", &a));  // not on it any more
    EXPECT_FALSE(table.unsubscribe("nothing", &b));
    EXPECT_EQ(ids(table.subscribers("news")), (std::set<int>{2}));
    EXPECT_TRUE(table.unsubscribe("news", &b));
    EXPECT_EQ(table.topic_count(), 0U);
    EXPECT_EQ(table.subscription_count(), 0U);
    EXPECT_TRUE(table.topics_of(&b).empty());
}

TEST(TopicTable, RemovingASubscriberTakesItOffEveryTopic) {
    TopicTable<Sub> table;
    Sub a{1};
    Sub b{2};
    for (const char* t : {"x", "y", "z"}) {
        (void)table.subscribe(t, &a);
    }
    (void)table.subscribe("y", &b);
    EXPECT_EQ(table.remove(&a), 3U);
    EXPECT_EQ(table.remove(&a), 0U);
    EXPECT_EQ(table.topic_count(), 1U);
    EXPECT_EQ(ids(table.subscribers("y")), (std::set<int>{2}));
}

// Many subscribers joining and leaving in random order: the table agrees with a plain model
// after every step (the swap-with-last removal keeps each subscriber's record of its place).
TEST(TopicTable, AgreesWithAModelThroughRandomChanges) {
    TopicTable<Sub> table;
    std::array<Sub, 50> subs{};
    for (int i = 0; i < 50; ++i) {
        subs[static_cast<std::size_t>(i)].id = i;
    }
    const std::array<std::string, 4> topics{"a", "b", "c", "d"};
    std::array<std::set<int>, 4> model;
    std::mt19937 rng(7);
    for (int step = 0; step < 5000; ++step) {
        const auto s = rng() % 50;
        const auto t = rng() % 4;
        const int kind = static_cast<int>(rng() % 10);
        if (kind < 5) {
            EXPECT_EQ(table.subscribe(topics[t], &subs[s]), model[t].insert(subs[s].id).second);
        } else if (kind < 9) {
            EXPECT_EQ(table.unsubscribe(topics[t], &subs[s]), model[t].erase(subs[s].id) == 1);
        } else {
            std::size_t was = 0;
            for (auto& m : model) {
                was += m.erase(subs[s].id);
            }
            EXPECT_EQ(table.remove(&subs[s]), was);
        }
        std::size_t total = 0;
        std::size_t live = 0;
        for (std::size_t i = 0; i < topics.size(); ++i) {
            ASSERT_EQ(ids(table.subscribers(topics[i])), model[i]) << "step " << step;
            total += model[i].size();
            live += model[i].empty() ? 0U : 1U;
        }
        ASSERT_EQ(table.subscription_count(), total);
        ASSERT_EQ(table.topic_count(), live);
    }
}

}  // namespace
}  // namespace wsx::detail
