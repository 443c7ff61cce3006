// The server's permessage-deflate decision for one upgrade request: the options' policy, the
// zlib memory cap, and the counters. Rule: policy only; the negotiation itself is the core's
// (proto::negotiate_deflate) and the compression the endpoint's.
#include "wsx/net/log.hpp"

#include "server/server_core.hpp"

namespace wsx::detail {

const ServerStats& ServerCore::counters() const noexcept {
    stats_.zlib_memory = zlib_memory_->in_use();
    stats_.zlib_memory_peak = zlib_memory_->peak();
    stats_.zlib_memory_cap = zlib_memory_->cap();
    stats_.open = open_count_;
    return stats_;
}

std::optional<proto::DeflateSetup> ServerCore::deflate_setup(const proto::UpgradeRequest& request) {
    const proto::DeflatePolicy& policy = options_.deflate;
    auto agreed = proto::negotiate_deflate(request.extensions, policy);
    if (!agreed) {
        return std::nullopt;
    }
    proto::DeflateSetup setup{.agreement = *agreed,
                              .mem_level = policy.mem_level,
                              .level = policy.level,
                              .threshold = policy.threshold,
                              .memory = zlib_memory_.get(),
                              .shared = shared_deflater_.get()};
    // The most this connection may add: its own compressor (none when shared) and an inflater.
    const bool shares = policy.compressor == proto::CompressorMode::shared;
    const std::size_t worst =
            (shares ? 0
                    : proto::deflater_memory({.window_bits = agreed->server_max_window_bits,
                                              .mem_level = policy.mem_level}))
            + proto::inflater_memory(agreed->client_max_window_bits);
    if (zlib_memory_->in_use() + worst > zlib_memory_->cap()) {
        ++stats_.deflate_refused_memory;
        net::log_warn("permessage-deflate declined for ", request.path(), ": zlib memory at ",
                      zlib_memory_->in_use(), " of ", zlib_memory_->cap(),
                      " bytes (max_zlib_memory); served uncompressed");
        return std::nullopt;
    }
    if (!shares) {
        setup.shared = nullptr;
    }
    ++stats_.deflate_negotiated;
    return setup;
}

}  // namespace wsx::detail
