// SocketAddress: IPv4 and IPv6 kept with their lengths implied by the family, in 28 bytes.
#include "wsx/net/address.hpp"

#include <cstdint>

#include <arpa/inet.h>
#include <gtest/gtest.h>

namespace wsx::net {
namespace {

static_assert(sizeof(SocketAddress) == sizeof(sockaddr_in6));  // kept per connection

// The address of `host` (a literal of `family`) and `port`, through the sockaddr the kernel gives.
SocketAddress address(int family, const char* host, std::uint16_t port) {
    sockaddr_in6 raw{};  // large enough for either
    raw.sin6_family = static_cast<sa_family_t>(family);
    raw.sin6_port = htons(port);  // at the same offset in sockaddr_in
    void* where = family == AF_INET6
                          ? static_cast<void*>(&raw.sin6_addr)
                          : static_cast<void*>(&reinterpret_cast<sockaddr_in*>(&raw)->sin_addr);
    EXPECT_EQ(inet_pton(family, host, where), 1);
    return {reinterpret_cast<const sockaddr*>(&raw),
            family == AF_INET6 ? socklen_t{sizeof(sockaddr_in6)} : socklen_t{sizeof(sockaddr_in)}};
}

TEST(SocketAddress, KeepsIpv4AndIpv6WithTheLengthTheirFamilySays) {
    const SocketAddress a = address(AF_INET, "127.0.0.1", 9998);
    EXPECT_EQ(a.size(), sizeof(sockaddr_in));
    EXPECT_EQ(a.to_string(), "127.0.0.1:9998");
    const SocketAddress b = address(AF_INET6, "::1", 443);
    EXPECT_EQ(b.size(), sizeof(sockaddr_in6));
    EXPECT_EQ(b.to_string(), "[::1]:443");
    EXPECT_EQ(b.with_port(80).to_string(), "[::1]:80");
    EXPECT_EQ(b.with_port(80).size(), sizeof(sockaddr_in6));
}

TEST(PackedAddress, KeepsAddressPortAndFamilyInNineteenBytes) {
    static_assert(sizeof(PackedAddress) == 19 && alignof(PackedAddress) == 1);
    for (const SocketAddress& a :
         {address(AF_INET, "192.0.2.7", 65535), address(AF_INET, "127.0.0.1", 1),
          address(AF_INET6, "2001:db8::42", 9998), address(AF_INET6, "::ffff:10.1.2.3", 80)}) {
        const SocketAddress back = PackedAddress(a).unpack();
        EXPECT_EQ(back.to_string(), a.to_string());
        EXPECT_EQ(back.family(), a.family());
        EXPECT_EQ(back.size(), a.size());
        EXPECT_EQ(back.port(), a.port());
    }
    EXPECT_EQ(PackedAddress(SocketAddress()).unpack().size(), 0U);
    EXPECT_EQ(PackedAddress().unpack().size(), 0U);
}

TEST(SocketAddress, AnotherFamilyOrAShortAddressIsTheEmptyAddress) {
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    const SocketAddress short_one(reinterpret_cast<const sockaddr*>(&v4), sizeof v4 - 1);
    EXPECT_EQ(short_one.size(), 0U);
    sockaddr other{};
    other.sa_family = AF_UNIX;
    EXPECT_EQ(SocketAddress(&other, sizeof other).size(), 0U);
    EXPECT_EQ(SocketAddress().size(), 0U);
}

}  // namespace
}  // namespace wsx::net
