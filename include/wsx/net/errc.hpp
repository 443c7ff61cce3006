// Errors of the I/O layer ("wsx.net"). System call failures are std::system_category codes made
// at the call site; these are the ones no errno describes.
#pragma once

#include <system_error>

namespace wsx::net {

enum class Errc {
    bad_address = 1,  // a host or port that does not parse or resolve
    no_address,       // resolution produced nothing to bind or connect to
    name_not_found,   // the resolver knows no such name (EAI_NONAME)
    resolver_failed,  // the resolver failed (no DNS server reached, ...)
    connect_timeout,  // no address answered within the connect timeout
    tls_config,       // TLS settings that cannot work (no certificate, client auth without CA)
    tls_plain_http,   // a plain HTTP request arrived on a TLS port (answered, then closed)
};

[[nodiscard]] const std::error_category& net_category() noexcept;

[[nodiscard]] std::error_code make_error_code(Errc e) noexcept;

/// errno as a std::error_code, for the system call that just failed.
[[nodiscard]] std::error_code last_system_error() noexcept;

}  // namespace wsx::net

template <>
struct std::is_error_code_enum<wsx::net::Errc> : std::true_type {};
