// `wsx serve`'s permessage-deflate options; see deflate_options.hpp. The defaults keep an idle
// connection free of zlib memory: one compressor shared by the loop (server_no_context_takeover)
// and client_no_context_takeover asked of every client, so no inflate window stays between
// messages; see README "permessage-deflate" for what each choice costs.
#include "serve/deflate_options.hpp"

#include <map>

namespace wsx::tools {

void add_deflate_options(CLI::App* serve, ServerOptions& server, DeflateFlags& flags) {
    proto::DeflatePolicy& p = server.deflate;
    const std::string group = "permessage-deflate (RFC 7692)";
    serve->add_flag("--no-deflate", flags.off, "Do not negotiate permessage-deflate")->group(group);
    // zlib cannot compress with a window of 8 bits: 9 is the smallest (offers of 8 are declined).
    serve->add_option("--deflate-window-bits", p.window_bits,
                      "The server's compression window, 2^N bytes (server_max_window_bits)")
            ->check(CLI::Range(9, 15))
            ->capture_default_str()
            ->group(group);
    serve->add_option("--deflate-client-window-bits", p.client_window_bits,
                      "Window asked of clients that offer client_max_window_bits")
            ->check(CLI::Range(8, 15))
            ->capture_default_str()
            ->group(group);
    serve->add_option("--deflate-mem-level", p.mem_level,
                      "zlib memLevel of the compressor: its hash table is 2^(N+9) bytes")
            ->check(CLI::Range(1, 9))
            ->capture_default_str()
            ->group(group);
    serve->add_option("--deflate-level", p.level, "zlib compression level, 0-9 (-1: zlib's 6)")
            ->check(CLI::Range(-1, 9))
            ->capture_default_str()
            ->group(group);
    serve->add_option("--deflate-threshold", p.threshold,
                      "Messages shorter than this many bytes go out uncompressed; KiB accepted")
            ->transform(CLI::AsSizeValue(false))
            ->capture_default_str()
            ->group(group);
    const std::map<std::string, proto::CompressorMode> modes{
            {"shared", proto::CompressorMode::shared},
            {"dedicated", proto::CompressorMode::dedicated}};
    serve->add_option("--deflate-compressor", p.compressor,
                      "shared: one compressor for all connections, each message compressed alone; "
                      "dedicated: one per connection")
            ->transform(CLI::CheckedTransformer(modes))
            ->default_str("shared")
            ->group(group);
    serve->add_flag("--deflate-context-takeover", flags.context_takeover,
                    "Keep the server's compression context between messages (needs "
                    "--deflate-compressor dedicated)")
            ->group(group);
    serve->add_flag("--deflate-client-context-takeover", flags.client_context_takeover,
                    "Let clients keep their context (else client_no_context_takeover is asked, and "
                    "no inflate window is held between messages)")
            ->group(group);
    serve->add_option("--max-zlib-memory", server.max_zlib_memory,
                      "zlib memory for all connections; past it new connections are served "
                      "uncompressed; KiB/MiB accepted")
            ->transform(CLI::AsSizeValue(false))
            ->capture_default_str()
            ->group(group);
}

std::string finalize_deflate_options(ServerOptions& server, const DeflateFlags& flags) {
    proto::DeflatePolicy& p = server.deflate;
    p.enabled = !flags.off;
    p.context_takeover = flags.context_takeover;
    p.client_context_takeover = flags.client_context_takeover;
    if (p.context_takeover && p.compressor == proto::CompressorMode::shared) {
        return "--deflate-context-takeover needs --deflate-compressor dedicated: a shared "
               "compressor starts every message afresh";
    }
    return {};
}

std::string describe_deflate(const ServerOptions& server) {
    const proto::DeflatePolicy& p = server.deflate;
    if (!p.enabled) {
        return "permessage-deflate: off";
    }
    const bool shared = p.compressor == proto::CompressorMode::shared;
    return "permessage-deflate: " + std::string(shared ? "shared" : "dedicated")
           + " compressor, window " + std::to_string(p.window_bits) + " bits, memLevel "
           + std::to_string(p.mem_level)
           + (p.context_takeover && !shared ? ", server context kept" : ", no server context")
           + (p.client_context_takeover ? ", client context kept" : ", no client context")
           + ", threshold " + std::to_string(p.threshold) + " B, zlib memory cap "
           + std::to_string(server.max_zlib_memory) + " B";
}

}  // namespace wsx::tools
