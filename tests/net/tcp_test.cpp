// Listening sockets: SO_REUSEPORT, which lets one listener per loop share a port.
#include "wsx/net/tcp.hpp"

#include <cerrno>

#include <gtest/gtest.h>

namespace wsx::net {
namespace {

TEST(ListenTcp, ReusePortLetsTwoListenersShareAPort) {
    auto any = resolve_listen("127.0.0.1", 0);
    ASSERT_TRUE(any);
    auto first = listen_tcp(any->front(), ListenOptions{.backlog = 16, .reuse_port = true});
    ASSERT_TRUE(first);
    auto bound = local_address(first->get());
    ASSERT_TRUE(bound);
    auto second = listen_tcp(*bound, ListenOptions{.backlog = 16, .reuse_port = true});
    EXPECT_TRUE(second);
}

TEST(ListenTcp, WithoutReusePortASecondListenerIsRefused) {
    auto any = resolve_listen("127.0.0.1", 0);
    ASSERT_TRUE(any);
    auto first = listen_tcp(any->front(), 16);
    ASSERT_TRUE(first);
    auto bound = local_address(first->get());
    ASSERT_TRUE(bound);
    auto second = listen_tcp(*bound, 16);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().value(), EADDRINUSE);
}

}  // namespace
}  // namespace wsx::net
