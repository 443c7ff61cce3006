// TLS for the I/O layer (OpenSSL 3): the settings and contexts a server and a client make their
// connections from, and the factories of TLS transports (tls_transport.hpp) over accepted or
// connected sockets. Certificates, keys and trust stores are read here. Must not parse HTTP or
// frames, nor include wsx/proto: what a client sent in the clear is answered with bytes the layer
// above chose (TlsServerConfig::plain_http_reply).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "wsx/net/tls_transport.hpp"
#include "wsx/net/transport.hpp"
#include "wsx/net/unique_fd.hpp"
#include "wsx/result.hpp"

namespace wsx::net {

/// One certificate the server presents: PEM files.
struct TlsCertificate {
    std::string certificate_file;  // the leaf first, then the intermediates (a chain file)
    std::string key_file;          // its private key
};

/// Whether a server asks for client certificates (mutual TLS).
enum class TlsClientAuth {
    none,      // never asks
    optional,  // asks; a client without one is let in, one with a bad one is refused
    required,  // asks; a client without a valid one is refused (handshake failure alert)
};

/// A TLS server's settings. TLS 1.2 and 1.3 only, no renegotiation, ALPN `http/1.1`.
struct TlsServerConfig {
    /// The first is presented by default; another is chosen when the client's SNI name matches
    /// its certificate (subjectAltName DNS names, wildcards included).
    std::vector<TlsCertificate> certificates;
    TlsClientAuth client_auth = TlsClientAuth::none;
    /// PEM file of the CAs client certificates must chain to (their names go in the certificate
    /// request). Needed for client_auth other than none.
    std::string client_ca_file;
    /// Sent as is, then the connection closed, to a client whose first byte is a letter (plain
    /// HTTP on the TLS port) instead of a TLS record. Empty: such clients get OpenSSL's error.
    std::string plain_http_reply;
    /// Asks OpenSSL for kernel TLS (SSL_OP_ENABLE_KTLS): where the kernel takes the keys after
    /// the handshake, file bodies keep sendfile(). Otherwise, or if the kernel refuses, they are
    /// read and written through SSL_write.
    bool ktls = true;
};

/// A TLS client's settings (wss://).
struct TlsClientConfig {
    /// Verify the server's certificate chain and its name (or IP address). false is for tests
    /// only: any certificate is accepted.
    bool verify = true;
    /// PEM file and/or hashed folder of trusted CAs; both empty: the system's store, which
    /// honours SSL_CERT_FILE and SSL_CERT_DIR as OpenSSL's defaults do.
    std::string ca_file;
    std::string ca_dir;
    /// A client certificate and its key (PEM), for servers that ask; empty: none.
    std::string certificate_file;
    std::string key_file;
};

/// The server side: contexts built from a TlsServerConfig, swapped whole by reload() while
/// connections made earlier keep theirs. Thread-safe.
class TlsServer {
public:
    /// Reads the certificates, keys and CA file. Errors: net::Errc::tls_config (no certificate,
    /// client authentication without a CA file) or the OpenSSL error that failed (a file that
    /// does not open or parse, a key that does not match its certificate).
    [[nodiscard]] static Result<std::shared_ptr<TlsServer>> create(TlsServerConfig config);

    /// Reads the same files again into new contexts for the connections accepted from now on.
    /// On an error the old contexts stay, and it is returned.
    [[nodiscard]] std::error_code reload();

    /// A transport for an accepted socket; the handshake happens in its first read.
    [[nodiscard]] Result<std::unique_ptr<TlsTransport>> accept(UniqueFd fd) const;

    /// The factory for ServerOptions::transport.
    [[nodiscard]] static TransportFactory transports(std::shared_ptr<TlsServer> server);

    struct Contexts;

    explicit TlsServer(TlsServerConfig config, std::shared_ptr<const Contexts> contexts);

private:
    TlsServerConfig config_;
    mutable std::mutex mutex_;
    std::shared_ptr<const Contexts> contexts_;
};

/// The client side: one context (trust store, client certificate) for many connections.
class TlsClient {
public:
    /// Errors: the OpenSSL error reading a CA, certificate or key file.
    [[nodiscard]] static Result<std::shared_ptr<TlsClient>> create(const TlsClientConfig& config);

    /// A transport over a connected socket to `host` (a name, or an IP literal without
    /// brackets): SNI for a name (never for an IP literal, RFC 6066 §3), and with verification
    /// on, the name checked against the certificate's DNS names or the address against its IP
    /// addresses. With `start` false the bytes pass in the clear until start_tls() (a CONNECT
    /// proxy's tunnel first).
    [[nodiscard]] Result<std::unique_ptr<TlsTransport>> connect(UniqueFd fd, std::string_view host,
                                                                bool start = true) const;

    struct Context;

    explicit TlsClient(std::shared_ptr<Context> context) : context_(std::move(context)) {}

private:
    std::shared_ptr<Context> context_;
};

}  // namespace wsx::net
