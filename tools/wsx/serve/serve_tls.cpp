// `wsx serve -t`; see serve_tls.hpp.
#include "serve/serve_tls.hpp"

#include <string_view>

#include "wsx/net/log.hpp"

namespace wsx::tools {
namespace {

// Plain HTTP on the TLS port: a 400 in the clear, as nginx answers, rather than silence.
std::string plain_http_reply() {
    const std::string_view body = "This port speaks TLS: use https:// or wss://.\n";
    return "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: "
           + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + std::string(body);
}

net::TlsServerConfig tls_config(const ServeOptions& o) {
    net::TlsServerConfig config;
    config.certificates.push_back({.certificate_file = o.certificate, .key_file = o.private_key});
    for (const std::string& pair : o.tls_sni) {
        const std::size_t colon = pair.rfind(':');
        config.certificates.push_back(
                {.certificate_file = pair.substr(0, colon), .key_file = pair.substr(colon + 1)});
    }
    if (o.tls_client_auth) {
        config.client_auth = o.tls_client_cert_optional ? net::TlsClientAuth::optional
                                                        : net::TlsClientAuth::required;
        config.client_ca_file = o.tls_client_ca;
    }
    config.plain_http_reply = plain_http_reply();
    config.ktls = !o.tls_no_ktls;
    return config;
}

}  // namespace

std::string check_tls_options(const ServeOptions& o) {
    if (!o.tls) {
        return {};
    }
    if (o.private_key.empty() || o.certificate.empty()) {
        return "--tls needs a certificate (-c FILE) and its private key (-k FILE)";
    }
    if (o.tls_client_auth && o.tls_client_ca.empty()) {
        return "--tls-client-auth needs --tls-client-ca FILE (the CAs client certificates must "
               "chain to)";
    }
    for (const std::string& pair : o.tls_sni) {
        const std::size_t colon = pair.rfind(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == pair.size()) {
            return "--tls-sni takes CERTFILE:KEYFILE, not '" + pair + "'";
        }
    }
    return {};
}

std::shared_ptr<net::TlsServer> configure_tls(ServeOptions& o, bool& failed) {
    failed = false;
    if (!o.tls) {
        return nullptr;
    }
    auto tls = net::TlsServer::create(tls_config(o));
    if (!tls) {
        net::log_error("TLS: ", tls.error().message(), " (-c ", o.certificate, " -k ",
                       o.private_key, o.tls_client_ca.empty() ? "" : " --tls-client-ca ",
                       o.tls_client_ca, ")");
        failed = true;
        return nullptr;
    }
    o.server.transport = net::TlsServer::transports(*tls);
    const std::string more =
            o.tls_sni.empty() ? "" : " and " + std::to_string(o.tls_sni.size()) + " more by SNI";
    const char* clients = !o.tls_client_auth           ? ""
                          : o.tls_client_cert_optional ? ", client certificates asked for"
                                                       : ", client certificates required";
    net::log_info("TLS on: certificate ", o.certificate, more, clients);
    return std::move(*tls);
}

void reload_tls(net::TlsServer& tls) {
    if (auto ec = tls.reload()) {
        net::log_error("SIGHUP: TLS certificates not reloaded, the old ones stay: ", ec.message());
        return;
    }
    net::log_info("SIGHUP: TLS certificates and keys reloaded for new connections");
}

}  // namespace wsx::tools
