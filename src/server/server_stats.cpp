// ServerStats' counting and adding up (see server.hpp): the refusals and closes are short
// vectors searched in order, since a server sees a handful of statuses and close codes.
#include <algorithm>

#include "wsx/server.hpp"

namespace wsx {

void RttHistogram::add(std::int64_t ms) noexcept {
    const auto* bound = std::lower_bound(kBoundsMs.begin(), kBoundsMs.end(), ms);
    ++buckets[static_cast<std::size_t>(bound - kBoundsMs.begin())];
    ++count;
    sum_ms += ms;
}

void RttHistogram::merge(const RttHistogram& other) noexcept {
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        buckets[i] += other.buckets[i];
    }
    count += other.count;
    sum_ms += other.sum_ms;
}

void ServerStats::count_refusal(int status) {
    for (StatusCount& s : refusals) {
        if (s.status == status) {
            ++s.count;
            return;
        }
    }
    refusals.push_back({status, 1});
}

void ServerStats::count_close(std::uint16_t code, Closer by) {
    for (CloseCount& c : closes) {
        if (c.code == code && c.by == by) {
            ++c.count;
            return;
        }
    }
    closes.push_back({code, by, 1});
}

void ServerStats::merge(const ServerStats& s) {
    accepted += s.accepted;
    opened += s.opened;
    rejected += s.rejected;
    failed += s.failed;
    dropped_messages += s.dropped_messages;
    http_requests += s.http_requests;
    deflate_negotiated += s.deflate_negotiated;
    deflate_refused_memory += s.deflate_refused_memory;
    zlib_memory += s.zlib_memory;
    zlib_memory_peak += s.zlib_memory_peak;  // an upper bound of the group's peak
    zlib_memory_cap += s.zlib_memory_cap;
    publications += s.publications;
    deliveries += s.deliveries;
    deliveries_dropped += s.deliveries_dropped;
    topics += s.topics;  // a topic with subscribers on two loops counts twice
    subscriptions += s.subscriptions;
    messages_in += s.messages_in;
    bytes_in += s.bytes_in;
    messages_out += s.messages_out;
    bytes_out += s.bytes_out;
    backpressure_pauses += s.backpressure_pauses;
    overflow_closes += s.overflow_closes;
    open += s.open;
    for (const StatusCount& r : s.refusals) {
        auto it = std::find_if(refusals.begin(), refusals.end(),
                               [&](const StatusCount& x) { return x.status == r.status; });
        if (it == refusals.end()) {
            refusals.push_back(r);
        } else {
            it->count += r.count;
        }
    }
    for (const CloseCount& c : s.closes) {
        auto it = std::find_if(closes.begin(), closes.end(), [&](const CloseCount& x) {
            return x.code == c.code && x.by == c.by;
        });
        if (it == closes.end()) {
            closes.push_back(c);
        } else {
            it->count += c.count;
        }
    }
    ping_rtt.merge(s.ping_rtt);
}

}  // namespace wsx
