// Socket addresses (IPv4 and IPv6) and name resolution: blocking for start-up time (binding a
// listener), and off the loop thread for clients (resolve_async, through getaddrinfo on a thread
// of its own).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>

#include "wsx/result.hpp"

namespace wsx::net {

/// An IPv4 or IPv6 socket address. Plain value, 28 bytes aligned to 4 (kept per connection: no
/// sockaddr_storage's 128, and no length: the family says it).
class SocketAddress {
public:
    SocketAddress() noexcept = default;

    SocketAddress(const sockaddr* addr, socklen_t len) noexcept;

    [[nodiscard]] const sockaddr* data() const noexcept;

    [[nodiscard]] socklen_t size() const noexcept {
        return storage_.sin6_family == AF_INET6  ? socklen_t{sizeof(sockaddr_in6)}
               : storage_.sin6_family == AF_INET ? socklen_t{sizeof(sockaddr_in)}
                                                 : socklen_t{0};
    }

    [[nodiscard]] int family() const noexcept { return storage_.sin6_family; }

    [[nodiscard]] std::uint16_t port() const noexcept;

    /// A copy with another port.
    [[nodiscard]] SocketAddress with_port(std::uint16_t port) const noexcept;

    /// An IPv4-mapped IPv6 address (::ffff:a.b.c.d, how a dual-stack socket sees an IPv4 peer) as
    /// the IPv4 address it is, with its port; any other address unchanged.
    [[nodiscard]] SocketAddress unmapped() const noexcept;

    /// The numeric host: "127.0.0.1", "::1".
    [[nodiscard]] std::string host() const;

    /// "127.0.0.1:9998" or "[::1]:9998".
    [[nodiscard]] std::string to_string() const;

private:
    sockaddr_in6 storage_{};  // the larger of the two; a sockaddr_in fits at its start
};

/// An IPv4 or IPv6 address and port in 19 bytes, aligned to 1 (a SocketAddress takes 28, aligned
/// to 4): for what every connection keeps. It drops an IPv6 address's flow label and scope id
/// (the interface of a link-local peer).
class PackedAddress {
public:
    PackedAddress() noexcept = default;
    explicit PackedAddress(const SocketAddress& address) noexcept;

    [[nodiscard]] SocketAddress unpack() const noexcept;

private:
    std::array<std::uint8_t, 16> address_{};  // an IPv4 address in the first 4
    std::array<std::uint8_t, 2> port_{};      // network order
    std::uint8_t family_ = 0;                 // AF_INET or AF_INET6, 0 for none
};

/// Addresses to listen on. An empty host means every address: "::" (dual-stack, IPv4 and IPv6)
/// and "0.0.0.0" as fallback. Blocks on name resolution: for start-up only.
[[nodiscard]] Result<std::vector<SocketAddress>> resolve_listen(std::string_view host,
                                                                std::uint16_t port);

/// Addresses to connect to for `host` (a name, or an IPv4 or IPv6 literal without brackets),
/// ordered for connecting: getaddrinfo's order (RFC 6724), then families interleaved, IPv6 first
/// (RFC 8305 §4). Blocks on name resolution. Errors: name_not_found, resolver_failed, no_address.
[[nodiscard]] Result<std::vector<SocketAddress>> resolve_host(const std::string& host,
                                                              std::uint16_t port);

/// A resolution in progress; cancel() before the result arrives means it never does.
class ResolveHandle {
public:
    virtual ~ResolveHandle() = default;
    virtual void cancel() noexcept = 0;
};

class Loop;

/// Resolves off the loop thread and calls `done` on the loop thread (always later, never within
/// this call). A numeric host needs no thread. Why a thread and not c-ares: getaddrinfo follows
/// the machine's own rules (nsswitch, /etc/hosts, resolv.conf options, mDNS), as every other
/// program there does; a thread per lookup is cheap beside a connection.
[[nodiscard]] std::shared_ptr<ResolveHandle> resolve_async(
        Loop& loop, std::string host, std::uint16_t port,
        std::function<void(Result<std::vector<SocketAddress>>)> done);

}  // namespace wsx::net
