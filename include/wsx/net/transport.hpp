// The byte-moving interface one connection's upper layer uses: plain TCP now, TLS later, behind
// the same small virtual interface (redis' ConnectionType). Everything the connection engine needs
// of a socket is here, so nothing above it names a concrete transport. A transport never
// interprets bytes (no HTTP, no frames).
//
// How a stream cipher plugs in (TLS): its read() and write() may need the other direction first
// (a handshake or renegotiation message): they return would_block and interest() adds what the
// library asked for (OpenSSL's SSL_ERROR_WANT_READ / WANT_WRITE), so the loop wakes the engine for
// it. Bytes it has already decrypted but not handed out are invisible to epoll: has_pending_input()
// tells the engine to read again before it waits (SSL_pending).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "wsx/net/unique_fd.hpp"
#include "wsx/result.hpp"

namespace wsx::net {

/// Outcome of one read or write. EAGAIN is a state (would_block), not an error; EINTR is retried
/// inside the call.
struct IoResult {
    enum class Status { ok, would_block, eof, error };
    Status status = Status::ok;
    std::size_t bytes = 0;
    std::error_code error;  // for Status::error, naming the failed system call in logs

    [[nodiscard]] bool ok() const noexcept { return status == Status::ok; }
};

/// What a TLS transport tells of its connection (for CGI's HTTPS and mod_ssl's SSL_* variables).
struct SecurityInfo {
    std::string protocol;           // "TLSv1.3"
    std::string cipher;             // "TLS_AES_256_GCM_SHA384"
    std::string server_name;        // the SNI name the client sent; empty if none
    std::string alpn;               // the protocol agreed by ALPN; empty if none
    bool peer_certificate = false;  // the peer presented a certificate
    bool peer_verified = false;     // ... and it verified
    std::string peer_subject;       // its subject and issuer, RFC 2253 ("CN=alice,O=Test")
    std::string peer_issuer;
};

class Transport {
public:
    virtual ~Transport() = default;

    /// The descriptor to register with the loop.
    [[nodiscard]] virtual int fd() const noexcept = 0;

    /// Reads at most buf.size() bytes.
    [[nodiscard]] virtual IoResult read(std::span<char> buf) noexcept = 0;

    /// Looks at what can be read without taking it: ok with data, eof once the peer has closed
    /// its side, would_block, or the error.
    [[nodiscard]] virtual IoResult peek(std::span<char> buf) noexcept = 0;

    /// Input the transport holds already (decrypted and not yet read), which no readiness
    /// report will announce.
    [[nodiscard]] virtual bool has_pending_input() const noexcept { return false; }

    /// The readiness to wait for, given what the engine wants (`want_read`, `want_write`): a
    /// transport in the middle of its own exchange may need the other direction.
    struct Wanted {
        bool read = false;
        bool write = false;
    };

    [[nodiscard]] virtual Wanted interest(Wanted engine) const noexcept { return engine; }

    /// Writes from several buffers in order, in one system call where possible.
    [[nodiscard]] virtual IoResult write(std::span<const std::string_view> bufs) noexcept = 0;

    /// Sends up to `count` bytes of a file from `offset` (advanced by what was sent), zero-copy
    /// where the transport allows it.
    [[nodiscard]] virtual IoResult send_file(int file_fd, std::uint64_t& offset,
                                             std::size_t count) noexcept = 0;

    /// Sends FIN after everything written so far (the reading side stays open).
    virtual void shutdown_write() noexcept = 0;

    /// The connection's TLS parameters; empty for plain TCP (or a handshake not yet done).
    [[nodiscard]] virtual std::optional<SecurityInfo> security() const { return std::nullopt; }
};

/// Makes the transport for a connection's new socket (accepted or connected): plain TCP, or a
/// cipher over it. Errors: the transport's setup failing (no memory, no credentials).
using TransportFactory = std::function<Result<std::unique_ptr<Transport>>(UniqueFd fd)>;

}  // namespace wsx::net
