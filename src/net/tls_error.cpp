// The "wsx.tls" and "wsx.tls.verify" error categories; see tls_error.hpp.
#include "wsx/net/tls_error.hpp"

#include <array>
#include <string>

#include <openssl/err.h>
#include <openssl/x509.h>

namespace wsx::net {
namespace {

class TlsCategory final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "wsx.tls"; }

    [[nodiscard]] std::string message(int value) const override {
        if (value <= 0) {
            return "TLS error (OpenSSL gave no reason)";
        }
        std::array<char, 256> text{};
        ERR_error_string_n(static_cast<unsigned long>(value), text.data(), text.size());
        return text.data();
    }
};

class VerifyCategory final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "wsx.tls.verify"; }

    [[nodiscard]] std::string message(int value) const override {
        return std::string("certificate verify failed: ") + X509_verify_cert_error_string(value);
    }
};

}  // namespace

const std::error_category& tls_category() noexcept {
    static const TlsCategory kCategory;
    return kCategory;
}

const std::error_category& tls_verify_category() noexcept {
    static const VerifyCategory kCategory;
    return kCategory;
}

std::error_code take_tls_error() noexcept {
    // OpenSSL 3 packs library and reason into 31 bits: the value fits an int.
    const unsigned long first = ERR_get_error();
    ERR_clear_error();
    if (first == 0) {
        return {-1, tls_category()};
    }
    if (ERR_SYSTEM_ERROR(first)) {  // a system call failed (fopen of a missing file): its errno
        return {static_cast<int>(first & ERR_SYSTEM_MASK), std::system_category()};
    }
    return {static_cast<int>(first & 0x7fffffffUL), tls_category()};
}

std::error_code tls_verify_error(long result) noexcept {
    return {static_cast<int>(result), tls_verify_category()};
}

}  // namespace wsx::net
