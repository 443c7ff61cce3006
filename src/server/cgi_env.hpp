// The CGI environment's HTTP_* variables, shared by CGI scripts and executable handlers.
#pragma once

#include <string>
#include <vector>

#include "wsx/connection.hpp"
#include "wsx/proto/http_head.hpp"

namespace wsx {

/// Appends HTTP_* variables (RFC 3875 §4.1.18) for the request's header fields: names upper-cased
/// with '-' as '_', repeated fields joined with ", ". Credentials, Content-Length, Content-Type and
/// Proxy are left out.
void add_header_variables(const proto::HttpRequest& request, std::vector<std::string>& env);

/// Appends, for a connection over TLS, the variables Apache's mod_ssl sets: HTTPS=on,
/// REQUEST_SCHEME=https, SSL_PROTOCOL, SSL_CIPHER, SSL_TLS_SNI, and for a client certificate
/// SSL_CLIENT_S_DN, SSL_CLIENT_I_DN (RFC 2253) and SSL_CLIENT_VERIFY (SUCCESS, NONE or FAILED).
/// Nothing for plain TCP.
void add_tls_variables(const Connection& connection, std::vector<std::string>& env);

}  // namespace wsx
