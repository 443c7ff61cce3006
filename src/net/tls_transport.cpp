// TlsTransport; see tls_transport.hpp.
#include "wsx/net/tls_transport.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wsx/net/errc.hpp"
#include "wsx/net/tls_error.hpp"

namespace wsx::net {
namespace {

constexpr std::size_t kRecord = 16 * 1024;  // a TLS record's largest plaintext
constexpr unsigned char kHandshakeRecord = 0x16;
constexpr std::size_t kMaxIov = 64;

IoResult would_block() noexcept {
    return {IoResult::Status::would_block, 0, {}};
}

IoResult eof() noexcept {
    return {IoResult::Status::eof, 0, {}};
}

IoResult error(std::error_code ec) noexcept {
    return {IoResult::Status::error, 0, ec};
}

IoResult done(std::size_t n) noexcept {
    return {IoResult::Status::ok, n, {}};
}

IoResult from_errno() noexcept {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return would_block();
    }
    return error(last_system_error());
}

std::string name_text(const X509_NAME* name) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (bio == nullptr) {
        return {};
    }
    X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(std::max(size, 0L)));
    BIO_free(bio);
    return out;
}

}  // namespace

void SslFree::operator()(ssl_st* ssl) const noexcept {
    SSL_free(ssl);
}

TlsTransport::TlsTransport(UniqueFd fd, SslPtr ssl, Role role, std::shared_ptr<const void> keep,
                           std::string_view plain_reply, bool clear)
    : fd_(std::move(fd)),
      ssl_(std::move(ssl)),
      role_(role),
      keep_(std::move(keep)),
      plain_reply_(plain_reply),
      phase_(clear ? Phase::clear : Phase::handshake),
      handshake_want_(role == Role::server ? Want::read : Want::write) {}

TlsTransport::~TlsTransport() = default;

void TlsTransport::start_tls() noexcept {
    if (phase_ == Phase::clear) {
        phase_ = Phase::handshake;
        handshake_want_ = role_ == Role::server ? Want::read : Want::write;
    }
}

bool TlsTransport::ktls_send() const noexcept {
    return phase_ == Phase::open && BIO_get_ktls_send(SSL_get_wbio(ssl_.get())) != 0;
}

// OpenSSL's answer to a failed call: a state (want read or write), the end, or an error.
IoResult TlsTransport::failed(int rc, Want& want) noexcept {
    const int saved_errno = errno;
    const int e = SSL_get_error(ssl_.get(), rc);
    want = Want::none;
    switch (e) {
        case SSL_ERROR_WANT_READ:
            want = Want::read;
            return would_block();
        case SSL_ERROR_WANT_WRITE:
            want = Want::write;
            return would_block();
        case SSL_ERROR_ZERO_RETURN:
            return eof();  // close_notify, or (SSL_OP_IGNORE_UNEXPECTED_EOF) a bare TCP close
        case SSL_ERROR_SYSCALL:
            if (ERR_peek_error() == 0) {
                ERR_clear_error();
                return saved_errno == 0 ? eof() : error({saved_errno, std::system_category()});
            }
            break;
        default:
            break;
    }
    const long verify = SSL_get_verify_result(ssl_.get());
    if (verify != X509_V_OK && (role_ == Role::client || SSL_get0_peer_certificate(ssl_.get()))) {
        ERR_clear_error();
        return error(tls_verify_error(verify));
    }
    return error(take_tls_error());
}

// A server's first look: a letter where a TLS record should start is plain HTTP. It gets the
// configured reply; its request is read and dropped so that closing sends no RST over the reply.
IoResult TlsTransport::sniff_plain_http() noexcept {
    char first = 0;
    const ssize_t n = ::recv(fd_.get(), &first, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) {
        return eof();
    }
    if (n < 0) {
        return errno == EINTR ? would_block() : from_errno();
    }
    sniffed_ = true;
    const bool letter = (first >= 'A' && first <= 'Z') || (first >= 'a' && first <= 'z');
    if (static_cast<unsigned char>(first) == kHandshakeRecord || !letter || plain_reply_.empty()) {
        return done(0);
    }
    (void)::send(fd_.get(), plain_reply_.data(), plain_reply_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    std::array<char, 4096> sink{};
    for (int i = 0; i < 16 && ::recv(fd_.get(), sink.data(), sink.size(), MSG_DONTWAIT) > 0; ++i) {
    }
    ::shutdown(fd_.get(), SHUT_WR);
    return error(make_error_code(Errc::tls_plain_http));
}

IoResult TlsTransport::handshake() noexcept {
    if (role_ == Role::server && !sniffed_) {
        const IoResult r = sniff_plain_http();
        if (!r.ok()) {
            return r;
        }
    }
    ERR_clear_error();
    const int rc = SSL_do_handshake(ssl_.get());
    if (rc == 1) {
        phase_ = Phase::open;
        handshake_want_ = Want::none;
        return done(0);
    }
    return failed(rc, handshake_want_);
}

IoResult TlsTransport::read_or_peek(std::span<char> buf, bool peek) noexcept {
    if (phase_ == Phase::clear) {
        const ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), peek ? MSG_PEEK : 0);
        if (n > 0) {
            return done(static_cast<std::size_t>(n));
        }
        return n == 0 ? eof() : errno == EINTR ? would_block() : from_errno();
    }
    if (phase_ == Phase::handshake) {
        const IoResult h = handshake();
        if (!h.ok()) {
            return h;
        }
    }
    write_wants_read_ = false;  // whatever a write waited for may have come with this read
    ERR_clear_error();
    std::size_t got = 0;
    const int rc = peek ? SSL_peek_ex(ssl_.get(), buf.data(), buf.size(), &got)
                        : SSL_read_ex(ssl_.get(), buf.data(), buf.size(), &got);
    if (rc == 1) {
        read_wants_write_ = false;
        return done(got);
    }
    Want want = Want::none;
    const IoResult r = failed(rc, want);
    read_wants_write_ = want == Want::write;
    return r;
}

IoResult TlsTransport::read(std::span<char> buf) noexcept {
    return read_or_peek(buf, false);
}

IoResult TlsTransport::peek(std::span<char> buf) noexcept {
    return read_or_peek(buf, true);
}

bool TlsTransport::has_pending_input() const noexcept {
    return phase_ == Phase::open && SSL_has_pending(ssl_.get()) == 1;
}

Transport::Wanted TlsTransport::interest(Wanted engine) const noexcept {
    switch (phase_) {
        case Phase::clear:
            return engine;
        case Phase::handshake:
            // Exactly what the handshake waits for: the other direction would report ready
            // again and again while nothing can move.
            return {.read = handshake_want_ != Want::write,
                    .write = handshake_want_ == Want::write};
        case Phase::open:
            break;
    }
    return {.read = (engine.read && !read_wants_write_) || write_wants_read_,
            .write = (engine.write && !write_wants_read_) || read_wants_write_};
}

IoResult TlsTransport::write_bytes(const char* data, std::size_t size) noexcept {
    ERR_clear_error();
    std::size_t written = 0;
    const int rc = SSL_write_ex(ssl_.get(), data, size, &written);
    if (rc == 1) {
        write_wants_read_ = false;
        return done(written);
    }
    Want want = Want::none;
    const IoResult r = failed(rc, want);
    write_wants_read_ = want == Want::read;
    return r;
}

IoResult TlsTransport::clear_write(std::span<const std::string_view> bufs) noexcept {
    std::array<iovec, kMaxIov> iov{};
    const std::size_t count = std::min(bufs.size(), kMaxIov);
    for (std::size_t i = 0; i < count; ++i) {
        iov[i].iov_base = const_cast<char*>(bufs[i].data());  // writev does not write to it
        iov[i].iov_len = bufs[i].size();
    }
    const ssize_t n = ::writev(fd_.get(), iov.data(), static_cast<int>(count));
    if (n >= 0) {
        return done(static_cast<std::size_t>(n));
    }
    return errno == EINTR ? would_block() : from_errno();
}

IoResult TlsTransport::write(std::span<const std::string_view> bufs) noexcept {
    if (phase_ == Phase::clear) {
        return clear_write(bufs);
    }
    if (phase_ == Phase::handshake) {
        const IoResult h = handshake();
        if (!h.ok()) {
            return h;
        }
    }
    read_wants_write_ = false;
    if (bufs.empty()) {
        return done(0);
    }
    if (bufs.size() == 1 || bufs.front().size() >= kRecord) {
        return write_bytes(bufs.front().data(), bufs.front().size());
    }
    // Small pieces share a record. A retry after want-write gathers the same prefix again (the
    // queue only grows at its end), which is what SSL_write asks of a retry.
    scratch_.resize(kRecord);
    std::size_t used = 0;
    for (const std::string_view b : bufs) {
        const std::size_t take = std::min(b.size(), kRecord - used);
        std::memcpy(scratch_.data() + used, b.data(), take);
        used += take;
        if (used == kRecord) {
            break;
        }
    }
    return write_bytes(scratch_.data(), used);
}

IoResult TlsTransport::send_file(int file_fd, std::uint64_t& offset, std::size_t count) noexcept {
    if (phase_ == Phase::clear || phase_ == Phase::handshake) {
        return error(std::make_error_code(std::errc::operation_not_permitted));
    }
    read_wants_write_ = false;
    if (ktls_send()) {
        ERR_clear_error();
        const ossl_ssize_t n =
                SSL_sendfile(ssl_.get(), file_fd, static_cast<off_t>(offset), count, 0);
        if (n >= 0) {
            offset += static_cast<std::uint64_t>(n);
            return done(static_cast<std::size_t>(n));
        }
        Want want = Want::none;
        return failed(static_cast<int>(n), want);
    }
    scratch_.resize(kRecord);
    const ssize_t n =
            ::pread(file_fd, scratch_.data(), std::min(count, kRecord), static_cast<off_t>(offset));
    if (n <= 0) {
        return n == 0 ? done(0) : error(last_system_error());
    }
    const IoResult r = write_bytes(scratch_.data(), static_cast<std::size_t>(n));
    if (r.ok()) {
        offset += r.bytes;
    }
    return r;
}

void TlsTransport::shutdown_write() noexcept {
    if (phase_ == Phase::open) {
        ERR_clear_error();
        (void)SSL_shutdown(ssl_.get());  // close_notify; the peer's is not waited for here
        ERR_clear_error();
    }
    ::shutdown(fd_.get(), SHUT_WR);
}

std::optional<SecurityInfo> TlsTransport::security() const {
    if (phase_ != Phase::open) {
        return std::nullopt;
    }
    SSL* ssl = ssl_.get();
    SecurityInfo s;
    s.protocol = SSL_get_version(ssl);
    s.cipher = SSL_get_cipher_name(ssl);
    if (const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) {
        s.server_name = name;
    }
    const unsigned char* alpn = nullptr;
    unsigned alpn_size = 0;
    SSL_get0_alpn_selected(ssl, &alpn, &alpn_size);
    if (alpn != nullptr) {
        s.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_size);
    }
    if (X509* peer = SSL_get0_peer_certificate(ssl)) {
        s.peer_certificate = true;
        s.peer_verified = SSL_get_verify_result(ssl) == X509_V_OK;
        s.peer_subject = name_text(X509_get_subject_name(peer));
        s.peer_issuer = name_text(X509_get_issuer_name(peer));
    }
    return s;
}

}  // namespace wsx::net
