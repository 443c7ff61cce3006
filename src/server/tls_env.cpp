// The mod_ssl-style CGI variables of a TLS connection, for CGI scripts and executable handlers;
// see cgi_env.hpp. Must not look at the request (add_header_variables does).
#include <optional>

#include "cgi_env.hpp"

namespace wsx {

void add_tls_variables(const Connection& connection, std::vector<std::string>& env) {
    const std::optional<net::SecurityInfo> tls = connection.security();
    if (!tls) {
        return;
    }
    env.emplace_back("HTTPS=on");
    env.emplace_back("REQUEST_SCHEME=https");
    env.push_back("SSL_PROTOCOL=" + tls->protocol);
    env.push_back("SSL_CIPHER=" + tls->cipher);
    if (!tls->server_name.empty()) {
        env.push_back("SSL_TLS_SNI=" + tls->server_name);
    }
    if (!tls->peer_certificate) {
        env.emplace_back("SSL_CLIENT_VERIFY=NONE");
        return;
    }
    env.push_back("SSL_CLIENT_S_DN=" + tls->peer_subject);
    env.push_back("SSL_CLIENT_I_DN=" + tls->peer_issuer);
    env.emplace_back(tls->peer_verified ? "SSL_CLIENT_VERIFY=SUCCESS" : "SSL_CLIENT_VERIFY=FAILED");
}

}  // namespace wsx
