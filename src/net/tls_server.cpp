// TlsServer: the server's SSL_CTXs (one per certificate, chosen by SNI), built from files and
// swapped whole on reload(); see tls.hpp. Must not hold per-connection state.
#include <algorithm>
#include <utility>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "wsx/net/errc.hpp"
#include "wsx/net/tls.hpp"
#include "wsx/net/tls_error.hpp"

#include "net/tls_context.hpp"

namespace wsx::net {

/// One generation of contexts: the first certificate's is the default.
struct TlsServer::Contexts {
    std::vector<SslCtxPtr> by_certificate;
    std::string plain_reply;
};

namespace {

// The SNI callback: the first context whose certificate matches the name the client sent.
int choose_certificate(SSL* ssl, int* /*alert*/, void* arg) {
    const auto* contexts = static_cast<const TlsServer::Contexts*>(arg);
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (name == nullptr) {
        return SSL_TLSEXT_ERR_OK;  // no SNI: the default certificate
    }
    for (const SslCtxPtr& ctx : contexts->by_certificate) {
        X509* leaf = SSL_CTX_get0_certificate(ctx.get());
        if (leaf != nullptr && X509_check_host(leaf, name, 0, 0, nullptr) == 1) {
            if (ctx.get() != SSL_get_SSL_CTX(ssl)) {
                SSL_set_SSL_CTX(ssl, ctx.get());
            }
            return SSL_TLSEXT_ERR_OK;
        }
    }
    return SSL_TLSEXT_ERR_OK;  // no match: the default one, and the client's check decides
}

// ALPN: http/1.1 when offered; a client offering only others goes on without ALPN.
int choose_alpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_size,
                const unsigned char* in, unsigned in_size, void* /*arg*/) {
    unsigned char* selected = nullptr;
    if (SSL_select_next_proto(&selected, out_size, kAlpnHttp11.data(),
                              static_cast<unsigned>(kAlpnHttp11.size()), in, in_size)
        != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

std::error_code add_client_auth(SSL_CTX* ctx, const TlsServerConfig& config) {
    if (config.client_auth == TlsClientAuth::none) {
        return {};
    }
    if (SSL_CTX_load_verify_locations(ctx, config.client_ca_file.c_str(), nullptr) != 1) {
        return take_tls_error();
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(config.client_ca_file.c_str());
    if (names == nullptr) {
        return take_tls_error();
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    int mode = SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE;
    if (config.client_auth == TlsClientAuth::required) {
        mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    }
    SSL_CTX_set_verify(ctx, mode, nullptr);
    return {};
}

Result<SslCtxPtr> server_context(const TlsServerConfig& config, const TlsCertificate& cert) {
    auto made = new_context(TLS_server_method(), config.ktls);
    if (!made) {
        return made.error();
    }
    SSL_CTX* ctx = made->get();
    if (SSL_CTX_use_certificate_chain_file(ctx, cert.certificate_file.c_str()) != 1
        || SSL_CTX_use_PrivateKey_file(ctx, cert.key_file.c_str(), SSL_FILETYPE_PEM) != 1
        || SSL_CTX_check_private_key(ctx) != 1) {
        return take_tls_error();
    }
    if (auto ec = add_client_auth(ctx, config)) {
        return ec;
    }
    SSL_CTX_set_alpn_select_cb(ctx, choose_alpn, nullptr);
    // Sessions resumed only by the context that made them (SNI switches contexts).
    static constexpr unsigned char kSessionContext[] = "wsx";
    SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
    return std::move(*made);
}

Result<std::shared_ptr<const TlsServer::Contexts>> build(const TlsServerConfig& config) {
    if (config.certificates.empty()
        || (config.client_auth != TlsClientAuth::none && config.client_ca_file.empty())) {
        return make_error_code(Errc::tls_config);
    }
    auto out = std::make_shared<TlsServer::Contexts>();
    out->plain_reply = config.plain_http_reply;
    for (const TlsCertificate& cert : config.certificates) {
        auto ctx = server_context(config, cert);
        if (!ctx) {
            return ctx.error();
        }
        out->by_certificate.push_back(std::move(*ctx));
    }
    // Every context gets the callback: SSL_set_SSL_CTX keeps the first one's for the handshake.
    for (const SslCtxPtr& ctx : out->by_certificate) {
        // The macros SSL_CTX_set_tlsext_servername_{callback,arg}, without their C casts.
        SSL_CTX_callback_ctrl(ctx.get(), SSL_CTRL_SET_TLSEXT_SERVERNAME_CB,
                              reinterpret_cast<void (*)()>(choose_certificate));
        SSL_CTX_ctrl(ctx.get(), SSL_CTRL_SET_TLSEXT_SERVERNAME_ARG, 0, out.get());
    }
    return std::shared_ptr<const TlsServer::Contexts>(std::move(out));
}

}  // namespace

TlsServer::TlsServer(TlsServerConfig config, std::shared_ptr<const Contexts> contexts)
    : config_(std::move(config)), contexts_(std::move(contexts)) {}

Result<std::shared_ptr<TlsServer>> TlsServer::create(TlsServerConfig config) {
    auto contexts = build(config);
    if (!contexts) {
        return contexts.error();
    }
    return std::make_shared<TlsServer>(std::move(config), std::move(*contexts));
}

std::error_code TlsServer::reload() {
    auto contexts = build(config_);
    if (!contexts) {
        return contexts.error();
    }
    const std::lock_guard lock(mutex_);
    contexts_ = std::move(*contexts);
    return {};
}

Result<std::unique_ptr<TlsTransport>> TlsServer::accept(UniqueFd fd) const {
    std::shared_ptr<const Contexts> contexts;
    {
        const std::lock_guard lock(mutex_);
        contexts = contexts_;
    }
    SslPtr ssl(SSL_new(contexts->by_certificate.front().get()));
    if (!ssl || SSL_set_fd(ssl.get(), fd.get()) != 1) {
        return take_tls_error();
    }
    SSL_set_accept_state(ssl.get());
    const std::string_view reply = contexts->plain_reply;
    // The transport keeps this generation alive: its SNI callback may run after a reload.
    return std::make_unique<TlsTransport>(std::move(fd), std::move(ssl), TlsTransport::Role::server,
                                          std::move(contexts), reply, false);
}

TransportFactory TlsServer::transports(std::shared_ptr<TlsServer> server) {
    return [server = std::move(server)](UniqueFd fd) -> Result<std::unique_ptr<Transport>> {
        auto t = server->accept(std::move(fd));
        if (!t) {
            return t.error();
        }
        return std::unique_ptr<Transport>(std::move(*t));
    };
}

}  // namespace wsx::net
