// Socket addresses (IPv4 and IPv6) and blocking name resolution for start-up time (binding a
// listener). Resolution on the event loop's path is the client issue's concern.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <sys/socket.h>

#include "wsx/result.hpp"

namespace wsx::net {

/// An IPv4 or IPv6 socket address. Plain value.
class SocketAddress {
public:
    SocketAddress() noexcept = default;

    SocketAddress(const sockaddr* addr, socklen_t len) noexcept;

    [[nodiscard]] const sockaddr* data() const noexcept;

    [[nodiscard]] socklen_t size() const noexcept { return len_; }

    [[nodiscard]] int family() const noexcept { return storage_.ss_family; }

    [[nodiscard]] std::uint16_t port() const noexcept;

    /// A copy with another port.
    [[nodiscard]] SocketAddress with_port(std::uint16_t port) const noexcept;

    /// The numeric host: "127.0.0.1", "::1".
    [[nodiscard]] std::string host() const;

    /// "127.0.0.1:9998" or "[::1]:9998".
    [[nodiscard]] std::string to_string() const;

private:
    sockaddr_storage storage_{};
    socklen_t len_ = 0;
};

/// Addresses to listen on. An empty host means every address: "::" (dual-stack, IPv4 and IPv6)
/// and "0.0.0.0" as fallback. Blocks on name resolution: for start-up only.
[[nodiscard]] Result<std::vector<SocketAddress>> resolve_listen(std::string_view host,
                                                                std::uint16_t port);

}  // namespace wsx::net
