// TCP sockets; see tcp.hpp.
#include "wsx/net/tcp.hpp"

#include <array>
#include <cerrno>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wsx/net/errc.hpp"

#include "net/slot_pool.hpp"

namespace wsx::net {
namespace {

constexpr std::size_t kMaxIov = 64;

IoResult from_errno() noexcept {
    IoResult r;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        r.status = IoResult::Status::would_block;
    } else {
        r.status = IoResult::Status::error;
        r.error = last_system_error();
    }
    return r;
}

}  // namespace

Result<UniqueFd> listen_tcp(const SocketAddress& addr, ListenOptions options) {
    UniqueFd fd(::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid()) {
        return last_system_error();
    }
    const int one = 1;
    const int zero = 0;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (options.reuse_port
        && setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        return last_system_error();
    }
    if (addr.family() == AF_INET6) {
        setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    }
    if (::bind(fd.get(), addr.data(), addr.size()) != 0) {
        return last_system_error();
    }
    if (::listen(fd.get(), options.backlog) != 0) {
        return last_system_error();
    }
    return fd;
}

Result<UniqueFd> connect_tcp(const SocketAddress& addr, const SocketAddress* local) {
    UniqueFd fd(::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid()) {
        return last_system_error();
    }
    const int one = 1;
    setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (local != nullptr) {
        setsockopt(fd.get(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        if (::bind(fd.get(), local->data(), local->size()) != 0) {
            return last_system_error();
        }
    }
    int rc = 0;
    do {
        rc = ::connect(fd.get(), addr.data(), addr.size());
    } while (rc != 0 && errno == EINTR);
    if (rc != 0 && errno != EINPROGRESS) {
        return last_system_error();
    }
    return fd;
}

std::error_code connect_result(int fd) noexcept {
    int error = 0;
    socklen_t len = sizeof error;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) {
        return last_system_error();
    }
    return {error, std::system_category()};
}

Result<SocketAddress> local_address(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
        return last_system_error();
    }
    return SocketAddress(reinterpret_cast<const sockaddr*>(&ss), len);
}

Result<Accepted> accept_tcp(int listen_fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int fd = -1;
    do {
        fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    Accepted out;
    if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED) {
            return out;
        }
        return last_system_error();
    }
    out.fd.reset(fd);
    out.peer = SocketAddress(reinterpret_cast<const sockaddr*>(&ss), len).unmapped();
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return out;
}

void* TcpTransport::operator new(std::size_t size) {
    (void)size;  // final: always sizeof(TcpTransport)
    return SlotPool::of<TcpTransport>().allocate();
}

void TcpTransport::operator delete(void* p) noexcept {
    SlotPool::of<TcpTransport>().deallocate(p);
}

IoResult TcpTransport::read(std::span<char> buf) noexcept {
    return receive(buf, 0);
}

IoResult TcpTransport::peek(std::span<char> buf) noexcept {
    return receive(buf, MSG_PEEK | MSG_DONTWAIT);
}

IoResult TcpTransport::receive(std::span<char> buf, int flags) noexcept {
    for (;;) {
        const ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), flags);
        if (n > 0) {
            return {IoResult::Status::ok, static_cast<std::size_t>(n), {}};
        }
        if (n == 0) {
            return {IoResult::Status::eof, 0, {}};
        }
        if (errno != EINTR) {
            return from_errno();
        }
    }
}

IoResult TcpTransport::write(std::span<const std::string_view> bufs) noexcept {
    std::array<iovec, kMaxIov> iov{};
    const std::size_t count = std::min(bufs.size(), kMaxIov);
    for (std::size_t i = 0; i < count; ++i) {
        iov[i].iov_base = const_cast<char*>(bufs[i].data());  // writev does not write to it
        iov[i].iov_len = bufs[i].size();
    }
    for (;;) {
        const ssize_t n = ::writev(fd_.get(), iov.data(), static_cast<int>(count));
        if (n >= 0) {
            return {IoResult::Status::ok, static_cast<std::size_t>(n), {}};
        }
        if (errno != EINTR) {
            return from_errno();
        }
    }
}

IoResult TcpTransport::send_file(int file_fd, std::uint64_t& offset, std::size_t count) noexcept {
    for (;;) {
        auto off = static_cast<off_t>(offset);
        const ssize_t n = ::sendfile(fd_.get(), file_fd, &off, count);
        if (n >= 0) {
            offset = static_cast<std::uint64_t>(off);
            return {IoResult::Status::ok, static_cast<std::size_t>(n), {}};
        }
        if (errno != EINTR) {
            return from_errno();
        }
    }
}

void TcpTransport::shutdown_write() noexcept {
    ::shutdown(fd_.get(), SHUT_WR);
}

TransportFactory tcp_transports() {
    return [](UniqueFd fd) -> Result<std::unique_ptr<Transport>> {
        return std::unique_ptr<Transport>(std::make_unique<TcpTransport>(std::move(fd)));
    };
}

}  // namespace wsx::net
