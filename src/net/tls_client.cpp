// TlsClient and the settings shared with the server side (tls_context.hpp): the client's
// SSL_CTX (trust store, client certificate) and one SSL object per connection, with SNI and the
// name or address check; see tls.hpp. Must not hold per-connection state in the context.
#include <string>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "wsx/net/tls.hpp"
#include "wsx/net/tls_error.hpp"

#include "net/tls_context.hpp"

namespace wsx::net {

struct TlsClient::Context {
    SslCtxPtr ctx;
    bool verify = true;
};

namespace {

bool is_ip_literal(const std::string& host) {
    unsigned char buf[sizeof(in6_addr)];
    return inet_pton(AF_INET, host.c_str(), buf) == 1
           || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::error_code load_trust(SSL_CTX* ctx, const TlsClientConfig& config) {
    if (config.ca_file.empty() && config.ca_dir.empty()) {
        // The system store; OpenSSL reads SSL_CERT_FILE and SSL_CERT_DIR here.
        return SSL_CTX_set_default_verify_paths(ctx) == 1 ? std::error_code() : take_tls_error();
    }
    const char* file = config.ca_file.empty() ? nullptr : config.ca_file.c_str();
    const char* dir = config.ca_dir.empty() ? nullptr : config.ca_dir.c_str();
    return SSL_CTX_load_verify_locations(ctx, file, dir) == 1 ? std::error_code()
                                                              : take_tls_error();
}

}  // namespace

Result<SslCtxPtr> new_context(const SSL_METHOD* method, bool ktls) {
    SslCtxPtr ctx(SSL_CTX_new(method));
    if (!ctx) {
        return take_tls_error();
    }
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    std::uint64_t options = SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF;
    if (ktls) {
        options |= SSL_OP_ENABLE_KTLS;
    }
    SSL_CTX_set_options(ctx.get(), options);
    SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                                        | SSL_MODE_RELEASE_BUFFERS);
    return ctx;
}

Result<std::shared_ptr<TlsClient>> TlsClient::create(const TlsClientConfig& config) {
    auto made = new_context(TLS_client_method(), false);
    if (!made) {
        return made.error();
    }
    SSL_CTX* ctx = made->get();
    if (config.verify) {
        if (auto ec = load_trust(ctx, config)) {
            return ec;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    }
    if (!config.certificate_file.empty()) {
        const std::string& key =
                config.key_file.empty() ? config.certificate_file : config.key_file;
        if (SSL_CTX_use_certificate_chain_file(ctx, config.certificate_file.c_str()) != 1
            || SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1
            || SSL_CTX_check_private_key(ctx) != 1) {
            return take_tls_error();
        }
    }
    if (SSL_CTX_set_alpn_protos(ctx, kAlpnHttp11.data(), kAlpnHttp11.size()) != 0) {
        return take_tls_error();
    }
    auto context = std::make_shared<Context>();
    context->ctx = std::move(*made);
    context->verify = config.verify;
    return std::make_shared<TlsClient>(std::move(context));
}

Result<std::unique_ptr<TlsTransport>> TlsClient::connect(UniqueFd fd, std::string_view host,
                                                         bool start) const {
    SslPtr ssl(SSL_new(context_->ctx.get()));
    if (!ssl || SSL_set_fd(ssl.get(), fd.get()) != 1) {
        return take_tls_error();
    }
    SSL_set_connect_state(ssl.get());
    const std::string name(host);
    const bool ip = is_ip_literal(name);
    // RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted in "HostName"."
    if (!ip && !name.empty()
        && SSL_ctrl(ssl.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                    const_cast<char*>(name.c_str()))
                   != 1) {
        return take_tls_error();
    }
    if (context_->verify) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
        const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                          : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
        if (ok != 1) {
            return take_tls_error();
        }
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    }
    return std::make_unique<TlsTransport>(std::move(fd), std::move(ssl), TlsTransport::Role::client,
                                          nullptr, "", !start);
}

}  // namespace wsx::net
