// What the server and client sides of TLS share: the SSL_CTX handle and the settings every
// context gets (versions, options, modes). Private to wsx_net.
#pragma once

#include <array>
#include <memory>

#include <openssl/ssl.h>

#include "wsx/result.hpp"

namespace wsx::net {

/// ALPN's wire form of the one protocol spoken: "http/1.1".
inline constexpr std::array<unsigned char, 9> kAlpnHttp11 = {8,   'h', 't', 't', 'p',
                                                             '/', '1', '.', '1'};

struct SslCtxFree {
    void operator()(SSL_CTX* ctx) const noexcept { SSL_CTX_free(ctx); }
};

/// One owner per context; SSL objects made from it hold their own reference.
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

/// A context for `method` with TLS 1.2 as the oldest version, no renegotiation, a peer's bare
/// TCP close taken as the end (SSL_OP_IGNORE_UNEXPECTED_EOF: WebSocket frames and HTTP bodies
/// carry their own lengths), partial writes, and kernel TLS if asked for.
[[nodiscard]] Result<SslCtxPtr> new_context(const SSL_METHOD* method, bool ktls);

}  // namespace wsx::net
