// TCP: listening sockets, accepting, and the plain-TCP Transport. Non-blocking, close-on-exec.
#pragma once

#include <span>
#include <string_view>
#include <utility>

#include "wsx/net/address.hpp"
#include "wsx/net/transport.hpp"
#include "wsx/net/unique_fd.hpp"
#include "wsx/result.hpp"

namespace wsx::net {

/// How a listening socket is set up beyond its address.
struct ListenOptions {
    int backlog = 511;
    /// SO_REUSEPORT: several sockets (one per loop) listen on the same address and port, and the
    /// kernel spreads new connections over them by a hash of the peer's address and port.
    bool reuse_port = false;
};

/// A listening socket bound to `addr` with SO_REUSEADDR; an IPv6 wildcard also takes IPv4
/// (IPV6_V6ONLY off). Errors name the failed system call in their message context (see logs).
[[nodiscard]] Result<UniqueFd> listen_tcp(const SocketAddress& addr, ListenOptions options);

/// The same with default options but `backlog`.
[[nodiscard]] inline Result<UniqueFd> listen_tcp(const SocketAddress& addr, int backlog) {
    return listen_tcp(addr, ListenOptions{.backlog = backlog});
}

/// The address a socket is bound to.
[[nodiscard]] Result<SocketAddress> local_address(int fd);

/// One accepted connection; `fd` is invalid when none is pending (EAGAIN).
struct Accepted {
    UniqueFd fd;
    SocketAddress peer;  // an IPv4 peer of a dual-stack listener as IPv4 (127.0.0.1, not ::ffff:…)
};

/// Accepts one pending connection, non-blocking, with TCP_NODELAY set.
[[nodiscard]] Result<Accepted> accept_tcp(int listen_fd);

/// Starts a non-blocking connect to `addr` (TCP_NODELAY set): the socket becomes writable when
/// it is done; then connect_result() tells how it went. With `local`, the socket is bound to
/// that address first (its port is chosen at connect time, IP_BIND_ADDRESS_NO_PORT, so many
/// sockets can share one source address). Errors: an immediate failure's errno (bind's too).
[[nodiscard]] Result<UniqueFd> connect_tcp(const SocketAddress& addr,
                                           const SocketAddress* local = nullptr);

/// The outcome of a connect started by connect_tcp(): success, or the error (SO_ERROR).
[[nodiscard]] std::error_code connect_result(int fd) noexcept;

/// Plain TCP transport owning its socket.
class TcpTransport final : public Transport {
public:
    explicit TcpTransport(UniqueFd fd) noexcept : fd_(std::move(fd)) {}

    /// From a pool of 16-byte slots (one per connection: no allocator header, no heap holes).
    [[nodiscard]] static void* operator new(std::size_t size);
    static void operator delete(void* p) noexcept;

    [[nodiscard]] int fd() const noexcept override { return fd_.get(); }

    [[nodiscard]] IoResult read(std::span<char> buf) noexcept override;

    [[nodiscard]] IoResult write(std::span<const std::string_view> bufs) noexcept override;

    /// MSG_PEEK.
    [[nodiscard]] IoResult peek(std::span<char> buf) noexcept override;

    [[nodiscard]] IoResult send_file(int file_fd, std::uint64_t& offset,
                                     std::size_t count) noexcept override;

    void shutdown_write() noexcept override;

private:
    [[nodiscard]] IoResult receive(std::span<char> buf, int flags) noexcept;

    UniqueFd fd_;
};

/// The factory of plain TCP transports (the default everywhere).
[[nodiscard]] TransportFactory tcp_transports();

}  // namespace wsx::net
