// Errors of OpenSSL as std::error_code: "wsx.tls" (an OpenSSL error queue entry, its message the
// library's "error:0A000086:SSL routines::certificate verify failed") and "wsx.tls.verify" (an
// X509_V_ERR_* certificate verification result, such as 10 for an expired certificate).
#pragma once

#include <system_error>

namespace wsx::net {

[[nodiscard]] const std::error_category& tls_category() noexcept;

[[nodiscard]] const std::error_category& tls_verify_category() noexcept;

/// The oldest error in this thread's OpenSSL queue (the first cause), which is cleared: a
/// system error (std::system_category, such as a file that does not open) or a "wsx.tls" one; a
/// generic TLS error if the queue is empty.
[[nodiscard]] std::error_code take_tls_error() noexcept;

/// A certificate verification result (X509_V_ERR_*) as an error.
[[nodiscard]] std::error_code tls_verify_error(long result) noexcept;

}  // namespace wsx::net
