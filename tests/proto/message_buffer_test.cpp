#include "wsx/proto/message_buffer.hpp"

#include <algorithm>
#include <string_view>

#include <gtest/gtest.h>

namespace wsx::proto {
namespace {

TEST(MessageBuffer, AppendsAndKeepsItsContentAsItGrows) {
    MessageBuffer b;
    EXPECT_TRUE(b.empty());
    EXPECT_TRUE(b.spare().empty());  // no storage yet
    b.append("hello ");
    std::string expected = "hello ";
    for (int i = 0; i < 1000; ++i) {
        b.append("world");
        expected += "world";
    }
    EXPECT_EQ(b.view(), expected);
    EXPECT_GE(b.capacity(), b.size());
    b.clear();
    EXPECT_TRUE(b.empty());
    EXPECT_GE(b.capacity(), expected.size());  // clear() keeps the storage
    b.release();
    EXPECT_EQ(b.capacity(), 0U);
}

TEST(MessageBuffer, ExtendThenTruncateKeepsWhatWasWritten) {
    MessageBuffer b;
    b.append("ab");
    char* at = b.extend(10);  // as zlib gets room, then says how much it wrote
    const std::string_view written = "cde";
    std::copy(written.begin(), written.end(), at);
    b.truncate(5);
    EXPECT_EQ(b.view(), "abcde");
    b.truncate(99);  // past the size: nothing changes
    EXPECT_EQ(b.view(), "abcde");
}

TEST(MessageBuffer, BytesWrittenIntoTheSpareRoomAreCommitted) {
    MessageBuffer b;
    b.reserve(8);
    EXPECT_EQ(b.capacity(), 8U);  // exactly what was asked
    b.append("xy");
    const auto spare = b.spare();
    ASSERT_EQ(spare.size(), 6U);
    EXPECT_EQ(spare.data(), b.data() + 2);
    const std::string_view read = "1234";  // as a read straight into it
    std::copy(read.begin(), read.end(), spare.data());
    b.commit(4);
    EXPECT_EQ(b.view(), "xy1234");
    b.reserve(4);  // smaller than the capacity: nothing moves
    EXPECT_EQ(b.capacity(), 8U);
    b.reserve(100);
    EXPECT_EQ(b.view(), "xy1234");  // the content moves with the storage
}

}  // namespace
}  // namespace wsx::proto
