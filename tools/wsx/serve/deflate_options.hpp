// `wsx serve`'s permessage-deflate options (RFC 7692): which flags there are, their defaults, and
// how they become the server's DeflatePolicy. Rule: options only; the policy's meaning is the
// library's (wsx/proto/deflate.hpp).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "wsx/server.hpp"

namespace wsx::tools {

/// The flags that are not a policy field as they stand.
struct DeflateFlags {
    bool off = false;                      // --no-deflate
    bool context_takeover = false;         // --deflate-context-takeover
    bool client_context_takeover = false;  // --deflate-client-context-takeover
};

/// Adds the --deflate-* options (and --no-deflate, --max-zlib-memory) to `serve`, bound to
/// `server`'s policy and `flags`.
void add_deflate_options(CLI::App* serve, ServerOptions& server, DeflateFlags& flags);

/// Applies `flags` to the policy. Returns an error message for a combination that cannot work,
/// empty if none.
[[nodiscard]] std::string finalize_deflate_options(ServerOptions& server,
                                                   const DeflateFlags& flags);

/// One log line saying what permessage-deflate the server negotiates.
[[nodiscard]] std::string describe_deflate(const ServerOptions& server);

}  // namespace wsx::tools
