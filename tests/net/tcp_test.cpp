// Listening sockets: SO_REUSEPORT, which lets one listener per loop share a port.
#include "wsx/net/tcp.hpp"

#include <cerrno>

#include <gtest/gtest.h>
#include <poll.h>

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

TEST(AcceptTcp, AnIpv4PeerOfADualStackListenerIsGivenAsIpv4) {
    auto any = resolve_listen("", 0);  // "::" first, dual-stack
    ASSERT_TRUE(any);
    ASSERT_EQ(any->front().family(), AF_INET6) << "no IPv6 here";
    auto listener = listen_tcp(any->front(), {.backlog = 4});
    ASSERT_TRUE(listener) << listener.error().message();
    auto bound = local_address(listener->get());
    ASSERT_TRUE(bound);
    auto v4 = resolve_listen("127.0.0.1", bound->port());
    ASSERT_TRUE(v4);
    auto client = connect_tcp(v4->front());
    ASSERT_TRUE(client) << client.error().message();
    pollfd ready{.fd = listener->get(), .events = POLLIN, .revents = 0};
    ASSERT_EQ(::poll(&ready, 1, 5000), 1);  // the connect is non-blocking: wait until it lands
    auto accepted = accept_tcp(listener->get());
    ASSERT_TRUE(accepted);
    ASSERT_TRUE(accepted->fd.valid());
    EXPECT_EQ(accepted->peer.family(), AF_INET);
    EXPECT_EQ(accepted->peer.host(), "127.0.0.1");
    auto client_local = local_address(client->get());
    ASSERT_TRUE(client_local);
    EXPECT_EQ(accepted->peer.port(), client_local->port());
}

}  // namespace
}  // namespace wsx::net
