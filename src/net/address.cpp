// Socket addresses; see address.hpp.
#include "wsx/net/address.hpp"

#include <array>
#include <cstring>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include "wsx/net/errc.hpp"

namespace wsx::net {

SocketAddress::SocketAddress(const sockaddr* addr, socklen_t len) noexcept {
    len_ = std::min<socklen_t>(len, sizeof storage_);
    std::memcpy(&storage_, addr, len_);
}

const sockaddr* SocketAddress::data() const noexcept {
    return reinterpret_cast<const sockaddr*>(&storage_);
}

std::uint16_t SocketAddress::port() const noexcept {
    if (storage_.ss_family == AF_INET) {
        return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    }
    if (storage_.ss_family == AF_INET6) {
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    }
    return 0;
}

SocketAddress SocketAddress::with_port(std::uint16_t port) const noexcept {
    SocketAddress out = *this;
    if (storage_.ss_family == AF_INET) {
        reinterpret_cast<sockaddr_in*>(&out.storage_)->sin_port = htons(port);
    } else if (storage_.ss_family == AF_INET6) {
        reinterpret_cast<sockaddr_in6*>(&out.storage_)->sin6_port = htons(port);
    }
    return out;
}

std::string SocketAddress::host() const {
    std::array<char, INET6_ADDRSTRLEN> buf{};
    const void* src = nullptr;
    if (storage_.ss_family == AF_INET) {
        src = &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr;
    } else if (storage_.ss_family == AF_INET6) {
        src = &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr;
    } else {
        return "?";
    }
    if (inet_ntop(storage_.ss_family, src, buf.data(), buf.size()) == nullptr) {
        return "?";
    }
    return buf.data();
}

std::string SocketAddress::to_string() const {
    const std::string h = host();
    const std::string p = std::to_string(port());
    return storage_.ss_family == AF_INET6 ? "[" + h + "]:" + p : h + ":" + p;
}

Result<std::vector<SocketAddress>> resolve_listen(std::string_view host, std::uint16_t port) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    hints.ai_family = AF_UNSPEC;
    const std::string service = std::to_string(port);
    std::string name(host);
    if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
        name = name.substr(1, name.size() - 2);
    }
    std::vector<SocketAddress> out;
    if (name.empty()) {
        // Every address: "::" with IPV6_V6ONLY off takes IPv4 too; "0.0.0.0" where there is no
        // IPv6. The listener tries them in order and keeps the first that binds.
        name = "::";
    }
    addrinfo* res = nullptr;
    const int rc = getaddrinfo(name.c_str(), service.c_str(), &hints, &res);
    if (rc != 0) {
        return Errc::bad_address;
    }
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        out.emplace_back(ai->ai_addr, ai->ai_addrlen);
    }
    freeaddrinfo(res);
    if (host.empty()) {
        sockaddr_in any4{};
        any4.sin_family = AF_INET;
        any4.sin_port = htons(port);
        any4.sin_addr.s_addr = htonl(INADDR_ANY);
        out.emplace_back(reinterpret_cast<const sockaddr*>(&any4), socklen_t{sizeof any4});
    }
    if (out.empty()) {
        return Errc::no_address;
    }
    return out;
}

}  // namespace wsx::net
