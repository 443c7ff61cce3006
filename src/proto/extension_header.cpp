// Extension and token list parsing; see extension_header.hpp. A tiny cursor-based scanner: each
// byte is consumed once, so hostile input costs linear time.
#include "wsx/proto/extension_header.hpp"

#include "wsx/proto/errc.hpp"
#include "wsx/proto/http_head.hpp"

namespace wsx::proto {
namespace {

class Cursor {
public:
    explicit Cursor(std::string_view s) : s_(s) {}

    [[nodiscard]] bool done() const noexcept { return pos_ >= s_.size(); }

    [[nodiscard]] char peek() const noexcept { return done() ? '\0' : s_[pos_]; }

    bool eat(char c) noexcept {
        if (peek() == c && !done()) {
            ++pos_;
            return true;
        }
        return false;
    }

    void skip_ows() noexcept {
        while (!done() && (s_[pos_] == ' ' || s_[pos_] == '\t')) {
            ++pos_;
        }
    }

    std::string_view token() noexcept {
        const std::size_t start = pos_;
        while (!done() && is_token_char(s_[pos_])) {
            ++pos_;
        }
        return s_.substr(start, pos_ - start);
    }

    // RFC 9110 §5.6.4: quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
    std::optional<std::string> quoted_string() {
        if (!eat('"')) {
            return std::nullopt;
        }
        std::string out;
        while (!done()) {
            const char c = s_[pos_++];
            if (c == '"') {
                return out;
            }
            if (c == '\\') {
                if (done()) {
                    return std::nullopt;
                }
                out.push_back(s_[pos_++]);
                continue;
            }
            out.push_back(c);
        }
        return std::nullopt;
    }

private:
    std::string_view s_;
    std::size_t pos_ = 0;
};

std::optional<ExtensionParam> parse_param(Cursor& cur) {
    ExtensionParam param;
    param.name = cur.token();
    if (param.name.empty()) {
        return std::nullopt;
    }
    cur.skip_ows();
    if (!cur.eat('=')) {
        return param;
    }
    cur.skip_ows();
    if (cur.peek() == '"') {
        auto value = cur.quoted_string();
        if (!value || !is_token(*value)) {
            return std::nullopt;
        }
        param.value = std::move(*value);
    } else {
        const std::string_view value = cur.token();
        if (value.empty()) {
            return std::nullopt;
        }
        param.value = std::string(value);
    }
    return param;
}

std::optional<Extension> parse_extension(Cursor& cur) {
    Extension ext;
    ext.name = cur.token();
    if (ext.name.empty()) {
        return std::nullopt;
    }
    cur.skip_ows();
    while (cur.eat(';')) {
        cur.skip_ows();
        auto param = parse_param(cur);
        if (!param) {
            return std::nullopt;
        }
        ext.params.push_back(std::move(*param));
        cur.skip_ows();
    }
    return ext;
}

}  // namespace

Result<std::vector<Extension>> parse_extension_header(std::string_view value) {
    std::vector<Extension> out;
    Cursor cur(value);
    for (;;) {
        cur.skip_ows();
        if (cur.done()) {
            break;
        }
        if (cur.eat(',')) {
            continue;  // empty list element
        }
        auto ext = parse_extension(cur);
        if (!ext) {
            return Errc::bad_extension_header;
        }
        out.push_back(std::move(*ext));
        cur.skip_ows();
        if (!cur.done() && !cur.eat(',')) {
            return Errc::bad_extension_header;
        }
    }
    if (out.empty()) {
        return Errc::bad_extension_header;
    }
    return out;
}

std::string format_extension_header(const std::vector<Extension>& extensions) {
    std::string out;
    for (const auto& ext : extensions) {
        if (!out.empty()) {
            out += ", ";
        }
        out += ext.name;
        for (const auto& p : ext.params) {
            out += "; ";
            out += p.name;
            if (p.value) {
                out += '=';
                out += *p.value;
            }
        }
    }
    return out;
}

std::optional<std::vector<std::string_view>> parse_token_list(std::string_view value) {
    std::vector<std::string_view> out;
    Cursor cur(value);
    for (;;) {
        cur.skip_ows();
        if (cur.done()) {
            return out;
        }
        if (cur.eat(',')) {
            continue;
        }
        const std::string_view token = cur.token();
        if (token.empty()) {
            return std::nullopt;
        }
        out.push_back(token);
        cur.skip_ows();
        if (!cur.done() && !cur.eat(',')) {
            return std::nullopt;
        }
    }
}

}  // namespace wsx::proto
