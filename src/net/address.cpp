// Socket addresses; see address.hpp.
#include "wsx/net/address.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>
#include <thread>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include "wsx/net/errc.hpp"
#include "wsx/net/loop.hpp"

namespace wsx::net {

SocketAddress::SocketAddress(const sockaddr* addr, socklen_t len) noexcept {
    const bool known = (addr->sa_family == AF_INET && len >= sizeof(sockaddr_in))
                       || (addr->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6));
    if (known) {  // anything else stays the empty address (size() 0)
        std::memcpy(&storage_, addr,
                    addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
    }
}

const sockaddr* SocketAddress::data() const noexcept {
    return reinterpret_cast<const sockaddr*>(&storage_);
}

std::uint16_t SocketAddress::port() const noexcept {
    if (storage_.sin6_family == AF_INET) {
        return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    }
    if (storage_.sin6_family == AF_INET6) {
        return ntohs(storage_.sin6_port);
    }
    return 0;
}

SocketAddress SocketAddress::with_port(std::uint16_t port) const noexcept {
    SocketAddress out = *this;
    if (storage_.sin6_family == AF_INET) {
        reinterpret_cast<sockaddr_in*>(&out.storage_)->sin_port = htons(port);
    } else if (storage_.sin6_family == AF_INET6) {
        out.storage_.sin6_port = htons(port);
    }
    return out;
}

SocketAddress SocketAddress::unmapped() const noexcept {
    if (storage_.sin6_family != AF_INET6) {
        return *this;
    }
    const auto* v6 = &storage_;
    if (!IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
        return *this;
    }
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    v4.sin_port = v6->sin6_port;
    std::memcpy(&v4.sin_addr, &v6->sin6_addr.s6_addr[12], sizeof v4.sin_addr);
    return {reinterpret_cast<const sockaddr*>(&v4), sizeof v4};
}

std::string SocketAddress::host() const {
    std::array<char, INET6_ADDRSTRLEN> buf{};
    const void* src = nullptr;
    if (storage_.sin6_family == AF_INET) {
        src = &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr;
    } else if (storage_.sin6_family == AF_INET6) {
        src = &storage_.sin6_addr;
    } else {
        return "?";
    }
    if (inet_ntop(storage_.sin6_family, src, buf.data(), buf.size()) == nullptr) {
        return "?";
    }
    return buf.data();
}

PackedAddress::PackedAddress(const SocketAddress& address) noexcept {
    const auto keep = [this](int family, const auto& ip, std::uint16_t port) {
        static_assert(sizeof ip <= sizeof address_);
        std::memcpy(address_.data(), &ip, sizeof ip);
        std::memcpy(port_.data(), &port, sizeof port);
        family_ = static_cast<std::uint8_t>(family);
    };
    if (address.family() == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(address.data());
        keep(AF_INET, in->sin_addr, in->sin_port);
    } else if (address.family() == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address.data());
        keep(AF_INET6, in6->sin6_addr, in6->sin6_port);
    }
}

SocketAddress PackedAddress::unpack() const noexcept {
    sockaddr_in6 raw{};  // a sockaddr_in's family, port and address are at the same offsets
    raw.sin6_family = family_;
    std::memcpy(&raw.sin6_port, port_.data(), sizeof raw.sin6_port);
    if (family_ == AF_INET) {
        std::memcpy(&reinterpret_cast<sockaddr_in*>(&raw)->sin_addr, address_.data(), 4);
        return {reinterpret_cast<const sockaddr*>(&raw), sizeof(sockaddr_in)};
    }
    std::memcpy(&raw.sin6_addr, address_.data(), sizeof raw.sin6_addr);
    return family_ == AF_INET6 ? SocketAddress(reinterpret_cast<const sockaddr*>(&raw), sizeof raw)
                               : SocketAddress();
}

std::string SocketAddress::to_string() const {
    const std::string h = host();
    const std::string p = std::to_string(port());
    return storage_.sin6_family == AF_INET6 ? "[" + h + "]:" + p : h + ":" + p;
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

Result<std::vector<SocketAddress>> resolve_host(const std::string& host, std::uint16_t port) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;  // no AI_ADDRCONFIG: it hides "localhost" where only lo is up
    hints.ai_family = AF_UNSPEC;
    addrinfo* res = nullptr;
    const int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
    if (rc == EAI_NONAME || rc == EAI_NODATA || rc == EAI_ADDRFAMILY) {
        return Errc::name_not_found;
    }
    if (rc != 0) {
        return Errc::resolver_failed;
    }
    std::vector<SocketAddress> v6;
    std::vector<SocketAddress> v4;
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        (ai->ai_family == AF_INET6 ? v6 : v4).emplace_back(ai->ai_addr, ai->ai_addrlen);
    }
    freeaddrinfo(res);
    std::vector<SocketAddress> out;
    for (std::size_t i = 0; i < std::max(v6.size(), v4.size()); ++i) {
        if (i < v6.size()) {
            out.push_back(v6[i]);
        }
        if (i < v4.size()) {
            out.push_back(v4[i]);
        }
    }
    if (out.empty()) {
        return Errc::no_address;
    }
    return out;
}

namespace {

// Shared by the caller and the resolving thread; `loop` is cleared by cancel() under the mutex,
// so a result never reaches a loop (or a callback) that is gone.
class AsyncResolve final : public ResolveHandle {
public:
    explicit AsyncResolve(Loop* loop) : loop_(loop) {}

    void cancel() noexcept override {
        std::lock_guard lock(mutex_);
        loop_ = nullptr;
    }

    void deliver(std::function<void()> fn) {
        std::lock_guard lock(mutex_);
        if (loop_ != nullptr) {
            loop_->defer(std::move(fn));
        }
    }

    bool cancelled() {
        std::lock_guard lock(mutex_);
        return loop_ == nullptr;
    }

private:
    std::mutex mutex_;
    Loop* loop_;
};

bool is_numeric_host(const std::string& host) {
    in6_addr a6{};
    in_addr a4{};
    return inet_pton(AF_INET6, host.c_str(), &a6) == 1
           || inet_pton(AF_INET, host.c_str(), &a4) == 1;
}

}  // namespace

std::shared_ptr<ResolveHandle> resolve_async(
        Loop& loop, std::string host, std::uint16_t port,
        std::function<void(Result<std::vector<SocketAddress>>)> done) {
    auto handle = std::make_shared<AsyncResolve>(&loop);
    auto finish = [handle, done = std::move(done)](Result<std::vector<SocketAddress>> r) mutable {
        handle->deliver([handle, done = std::move(done), r = std::move(r)]() mutable {
            if (!handle->cancelled()) {
                done(std::move(r));
            }
        });
    };
    if (is_numeric_host(host)) {
        finish(resolve_host(host, port));  // no lookup: getaddrinfo returns at once
        return handle;
    }
    std::thread([handle, host = std::move(host), port, finish = std::move(finish)]() mutable {
        if (!handle->cancelled()) {
            finish(resolve_host(host, port));
        }
    }).detach();
    return handle;
}

}  // namespace wsx::net
