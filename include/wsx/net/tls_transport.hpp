// TlsTransport: one TLS connection (OpenSSL 3) over a non-blocking socket, behind the Transport
// interface. The handshake runs inside the first reads and writes (would_block until it is done);
// OpenSSL's want-read and want-write become interest(); decrypted bytes not yet handed out are
// has_pending_input(). Made by TlsServer and TlsClient (tls.hpp). Must not interpret the bytes
// it carries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wsx/net/transport.hpp"
#include "wsx/net/unique_fd.hpp"

struct ssl_st;

namespace wsx::net {

/// Frees an SSL object.
struct SslFree {
    void operator()(ssl_st* ssl) const noexcept;
};

using SslPtr = std::unique_ptr<ssl_st, SslFree>;

class TlsTransport final : public Transport {
public:
    enum class Role { server, client };

    /// Takes the socket and an SSL object made for it (SSL_set_fd done by the caller).
    /// `keep` holds whatever the SSL object's callbacks point to (a server's contexts);
    /// `plain_reply` as TlsServerConfig::plain_http_reply; `clear` starts in the clear.
    TlsTransport(UniqueFd fd, SslPtr ssl, Role role, std::shared_ptr<const void> keep,
                 std::string_view plain_reply, bool clear);
    TlsTransport(const TlsTransport&) = delete;
    TlsTransport& operator=(const TlsTransport&) = delete;
    ~TlsTransport() override;

    [[nodiscard]] int fd() const noexcept override { return fd_.get(); }

    [[nodiscard]] IoResult read(std::span<char> buf) noexcept override;

    /// SSL_peek: drives the handshake too.
    [[nodiscard]] IoResult peek(std::span<char> buf) noexcept override;

    /// SSL_has_pending.
    [[nodiscard]] bool has_pending_input() const noexcept override;

    [[nodiscard]] Wanted interest(Wanted engine) const noexcept override;

    /// Small buffers are gathered into one record (up to 16 KiB) per SSL_write.
    [[nodiscard]] IoResult write(std::span<const std::string_view> bufs) noexcept override;

    /// SSL_sendfile when kernel TLS took the sending keys; otherwise pread and SSL_write.
    [[nodiscard]] IoResult send_file(int file_fd, std::uint64_t& offset,
                                     std::size_t count) noexcept override;

    /// close_notify, then FIN.
    void shutdown_write() noexcept override;

    [[nodiscard]] std::optional<SecurityInfo> security() const override;

    /// Ends the clear phase (a proxy's tunnel is open): the handshake starts with the next
    /// write.
    void start_tls() noexcept;

    /// Whether the handshake is done.
    [[nodiscard]] bool established() const noexcept { return phase_ == Phase::open; }

    /// Whether kernel TLS carries the sending direction (known once established).
    [[nodiscard]] bool ktls_send() const noexcept;

private:
    enum class Phase { clear, handshake, open };
    enum class Want { none, read, write };

    [[nodiscard]] IoResult handshake() noexcept;
    [[nodiscard]] IoResult sniff_plain_http() noexcept;
    [[nodiscard]] IoResult failed(int rc, Want& want) noexcept;
    [[nodiscard]] IoResult read_or_peek(std::span<char> buf, bool peek) noexcept;
    [[nodiscard]] IoResult write_bytes(const char* data, std::size_t size) noexcept;
    [[nodiscard]] IoResult clear_write(std::span<const std::string_view> bufs) noexcept;

    UniqueFd fd_;
    SslPtr ssl_;
    Role role_;
    std::shared_ptr<const void> keep_;
    std::string plain_reply_;
    std::vector<char> scratch_;  // gathered small writes, file chunks
    Phase phase_;
    Want handshake_want_;
    bool sniffed_ = false;           // the server looked at the first byte
    bool read_wants_write_ = false;  // SSL_read asked for writability
    bool write_wants_read_ = false;  // SSL_write asked for readability
};

}  // namespace wsx::net
