// The "wsx.net" error category.
#include "wsx/net/errc.hpp"

#include <cerrno>
#include <string>

namespace wsx::net {
namespace {

class Category final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "wsx.net"; }

    [[nodiscard]] std::string message(int value) const override {
        switch (static_cast<Errc>(value)) {
            case Errc::bad_address:
                return "address does not parse or resolve";
            case Errc::no_address:
                return "no usable address";
            case Errc::name_not_found:
                return "host name not found";
            case Errc::resolver_failed:
                return "name resolution failed";
            case Errc::connect_timeout:
                return "connect timed out";
            case Errc::tls_config:
                return "TLS settings incomplete (a certificate and key, a client CA file)";
            case Errc::tls_plain_http:
                return "plain HTTP request on a TLS port";
        }
        return "unknown wsx.net error";
    }
};

}  // namespace

const std::error_category& net_category() noexcept {
    static const Category kCategory;
    return kCategory;
}

std::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), net_category()};
}

std::error_code last_system_error() noexcept {
    return {errno, std::system_category()};
}

}  // namespace wsx::net
