// The CGI environment's HTTP_* variables, shared by CGI scripts and executable handlers.
#pragma once

#include <string>
#include <vector>

#include "wsx/proto/http_head.hpp"

namespace wsx {

/// Appends HTTP_* variables (RFC 3875 §4.1.18) for the request's header fields: names upper-cased
/// with '-' as '_', repeated fields joined with ", ". Credentials, Content-Length, Content-Type and
/// Proxy are left out.
void add_header_variables(const proto::HttpRequest& request, std::vector<std::string>& env);

}  // namespace wsx
