// `wsx serve -t`: the TLS options turned into a net::TlsServer (its transports go in
// ServerOptions::transport) and its reload on SIGHUP. Must not touch connections.
#pragma once

#include <memory>
#include <string>

#include "wsx/net/tls.hpp"

#include "serve/serve_command.hpp"

namespace wsx::tools {

/// The option combinations that cannot work (-t without -k and -c, client authentication
/// without --tls-client-ca); empty if none.
[[nodiscard]] std::string check_tls_options(const ServeOptions& options);

/// With --tls: reads the certificates and keys, and sets options.server.transport. Returns the
/// server's TLS state (null without --tls); on an error logs it and sets `failed`.
[[nodiscard]] std::shared_ptr<net::TlsServer> configure_tls(ServeOptions& options, bool& failed);

/// SIGHUP: new contexts from the same files for new connections; a failure is logged and the
/// old ones stay.
void reload_tls(net::TlsServer& tls);

}  // namespace wsx::tools
