// Listening sockets: SO_REUSEPORT, which lets one listener per loop share a port.
#include "wsx/net/tcp.hpp"

#include <cerrno>

#include <gtest/gtest.h>

namespace wsx::net {
namespace {

// A second listen_tcp() on the port a first one (with the same options) was given.
Result<UniqueFd> second_listener_on_same_port(ListenOptions options) {
    auto any = resolve_listen("127.0.0.1", 0);
    EXPECT_TRUE(any);
    auto first = listen_tcp(any->front(), options);
    EXPECT_TRUE(first);
    auto bound = local_address(first->get());
    EXPECT_TRUE(bound);
    return listen_tcp(*bound, options);
}

TEST(ListenTcp, ReusePortLetsTwoListenersShareAPort) {
    EXPECT_TRUE(second_listener_on_same_port({.backlog = 16, .reuse_port = true}));
}

TEST(ListenTcp, WithoutReusePortASecondListenerIsRefused) {
    auto second = second_listener_on_same_port({.backlog = 16});
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().value(), EADDRINUSE);
}

}  // namespace
}  // namespace wsx::net
