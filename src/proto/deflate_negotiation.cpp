// permessage-deflate negotiation (RFC 7692 §7.1); see deflate.hpp. Rule: one parameter reader
// for offers and responses, so both sides refuse the same malformed parameters; the server
// declines an offer it cannot honour, the client fails a response it cannot accept.
#include <algorithm>
#include <string_view>

#include "wsx/proto/deflate.hpp"
#include "wsx/proto/errc.hpp"

namespace wsx::proto {
namespace {

constexpr std::string_view kServerNoContext = "server_no_context_takeover";
constexpr std::string_view kClientNoContext = "client_no_context_takeover";
constexpr std::string_view kServerBits = "server_max_window_bits";
constexpr std::string_view kClientBits = "client_max_window_bits";

// The parameters of one offer or response, each at most once.
struct Params {
    bool server_no_context = false;
    bool client_no_context = false;
    std::optional<int> server_bits;
    bool client_bits_named = false;
    std::optional<int> client_bits;
};

// §7.1.2.1: "a decimal integer value without leading zeros between 8 to 15, inclusive".
std::optional<int> parse_window_bits(const std::optional<std::string>& value) {
    if (!value || value->empty() || value->size() > 2 || (*value)[0] == '0') {
        return std::nullopt;
    }
    int bits = 0;
    for (const char c : *value) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        bits = bits * 10 + (c - '0');
    }
    if (bits < kMinWindowBits || bits > kMaxWindowBits) {
        return std::nullopt;
    }
    return bits;
}

// Reads one parameter into `p`; false if it is unknown, repeated or has a bad value. In a
// response client_max_window_bits needs a value (§7.1.2.2); in an offer it may have none.
bool read_param(const ExtensionParam& param, bool response, Params& p, std::vector<int>& seen) {
    static constexpr std::string_view kNames[] = {kServerNoContext, kClientNoContext, kServerBits,
                                                  kClientBits};
    const auto* known = std::find(std::begin(kNames), std::end(kNames), param.name);
    if (known == std::end(kNames)) {
        return false;  // §7.1: "an extension parameter not defined for use in an offer"
    }
    const int index = static_cast<int>(known - std::begin(kNames));
    if (std::find(seen.begin(), seen.end(), index) != seen.end()) {
        return false;  // §7.1: "multiple extension parameters with the same name"
    }
    seen.push_back(index);
    switch (index) {
        case 0:
        case 1:
            // §7.1.1: the context takeover parameters have no value.
            (index == 0 ? p.server_no_context : p.client_no_context) = true;
            return !param.value.has_value();
        case 2:
            p.server_bits = parse_window_bits(param.value);
            return p.server_bits.has_value();
        default:
            p.client_bits_named = true;
            if (!param.value && !response) {
                return true;  // §7.1.2.2: offered without a value: "I support it"
            }
            p.client_bits = parse_window_bits(param.value);
            return p.client_bits.has_value();
    }
}

std::optional<Params> read_params(const Extension& e, bool response) {
    Params p;
    std::vector<int> seen;
    for (const auto& param : e.params) {
        if (!read_param(param, response, p, seen)) {
            return std::nullopt;
        }
    }
    return p;
}

int clamp_bits(int bits) {
    return std::clamp(bits, kMinZlibWindowBits, kMaxWindowBits);
}

// The agreement for one well-formed offer, or nullopt if the policy cannot honour it.
std::optional<DeflateAgreement> answer_offer(const Params& p, const DeflatePolicy& policy) {
    DeflateAgreement a;
    a.server_max_window_bits = clamp_bits(policy.window_bits);
    if (p.server_bits) {
        // §7.1.2.1: the response's value is the same or smaller than the offered one (8 is
        // answered 8 and compressed with 9: see kMinZlibWindowBits).
        a.server_max_window_bits = std::min(a.server_max_window_bits, *p.server_bits);
        a.server_bits_named = true;
    } else {
        a.server_bits_named = a.server_max_window_bits < kMaxWindowBits;
    }
    a.server_no_context_takeover = p.server_no_context || !policy.context_takeover
                                   || policy.compressor == CompressorMode::shared;
    // §7.1.1.2: a server MAY send client_no_context_takeover whether or not it was offered;
    // echoing it when offered lets the server free its inflate window between messages.
    a.client_no_context_takeover = p.client_no_context || !policy.client_context_takeover;
    if (p.client_bits_named) {
        // §7.1.2.2: named in the response only if offered, with a value no larger than offered.
        const int bits = std::clamp(policy.client_window_bits, kMinWindowBits, kMaxWindowBits);
        a.client_max_window_bits = std::min(bits, p.client_bits.value_or(kMaxWindowBits));
        a.client_bits_named = a.client_max_window_bits < kMaxWindowBits || p.client_bits;
    }
    return a;
}

ExtensionParam bits_param(std::string_view name, int bits) {
    return {std::string(name), std::to_string(bits)};
}

}  // namespace

std::optional<DeflateAgreement> negotiate_deflate(const std::vector<Extension>& offers,
                                                  const DeflatePolicy& policy) {
    if (!policy.enabled) {
        return std::nullopt;
    }
    for (const Extension& offer : offers) {
        if (offer.name != kPermessageDeflate) {
            continue;  // another extension: not ours to answer
        }
        // §7.1: "A server MUST decline an extension negotiation offer for this extension if
        // ... [it] contains an extension parameter not defined for use in an offer, ... has an
        // extension parameter with an invalid value, ... has multiple extension parameters with
        // the same name, ... The server doesn't support the offered configuration." The next
        // offer is then considered (§5: "the client's order of preference").
        const auto params = read_params(offer, false);
        if (!params) {
            continue;
        }
        if (auto agreed = answer_offer(*params, policy)) {
            return agreed;
        }
    }
    return std::nullopt;
}

Extension format_deflate_response(const DeflateAgreement& a) {
    Extension e{.name = kPermessageDeflate, .params = {}};
    if (a.server_no_context_takeover) {
        e.params.push_back({std::string(kServerNoContext), std::nullopt});
    }
    if (a.client_no_context_takeover) {
        e.params.push_back({std::string(kClientNoContext), std::nullopt});
    }
    if (a.server_bits_named) {
        e.params.push_back(bits_param(kServerBits, a.server_max_window_bits));
    }
    if (a.client_bits_named) {
        e.params.push_back(bits_param(kClientBits, a.client_max_window_bits));
    }
    return e;
}

Extension format_deflate_offer(const DeflateOffer& offer) {
    Extension e{.name = kPermessageDeflate, .params = {}};
    if (offer.server_no_context_takeover) {
        e.params.push_back({std::string(kServerNoContext), std::nullopt});
    }
    if (offer.client_no_context_takeover) {
        e.params.push_back({std::string(kClientNoContext), std::nullopt});
    }
    if (offer.server_max_window_bits) {
        e.params.push_back(bits_param(kServerBits, *offer.server_max_window_bits));
    }
    if (offer.client_max_window_bits == 0) {
        e.params.push_back({std::string(kClientBits), std::nullopt});
    } else if (offer.client_max_window_bits) {
        e.params.push_back(bits_param(kClientBits, *offer.client_max_window_bits));
    }
    return e;
}

namespace {

// §7.1: what the client checks beyond the grammar: each parameter the RFC lets the server send
// only in answer to the offer's, and each the server must echo when it accepts.
bool response_fits_offer(const Params& p, const DeflateOffer& offer) {
    // §7.1.1.1: a server accepting server_no_context_takeover "MUST" include it.
    if (offer.server_no_context_takeover && !p.server_no_context) {
        return false;
    }
    // §7.1.2.1: the response names server_max_window_bits with "the same or smaller value".
    if (offer.server_max_window_bits
        && (!p.server_bits || *p.server_bits > *offer.server_max_window_bits)) {
        return false;
    }
    // §7.1.2.2: client_max_window_bits only if offered, and no larger than an offered value.
    if (p.client_bits_named && !offer.client_max_window_bits) {
        return false;
    }
    const int offered = offer.client_max_window_bits.value_or(0);
    return !(p.client_bits && offered > 0 && *p.client_bits > offered);
}

}  // namespace

Result<DeflateAgreement> accept_deflate_response(const std::vector<Extension>& response,
                                                 const DeflateOffer& offer) {
    if (response.empty()) {
        return Errc::bad_deflate_response;
    }
    for (const Extension& e : response) {
        if (!offer.enabled || e.name != kPermessageDeflate) {
            return Errc::unoffered_extension;
        }
    }
    if (response.size() > 1) {
        return Errc::bad_deflate_response;  // one offer was made: one element may answer it
    }
    const auto p = read_params(response.front(), true);
    if (!p || !response_fits_offer(*p, offer)) {
        return Errc::bad_deflate_response;
    }
    DeflateAgreement a;
    a.server_no_context_takeover = p->server_no_context;
    a.client_no_context_takeover = p->client_no_context;
    a.server_bits_named = p->server_bits.has_value();
    a.server_max_window_bits = p->server_bits.value_or(kMaxWindowBits);
    a.client_bits_named = p->client_bits_named;
    a.client_max_window_bits = p->client_bits.value_or(kMaxWindowBits);
    return a;
}

}  // namespace wsx::proto
