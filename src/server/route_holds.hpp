// The routes the open connections of one loop use, each kept alive while any of them holds it,
// counted on the loop with no atomics. A connection keeps a plain pointer (8 bytes, where a
// shared_ptr took 16), and a reload (SIGHUP) that drops a route cannot pull it from under the
// connections still on it. Loop thread only.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "wsx/route.hpp"

namespace wsx::detail {

class RouteHolds {
public:
    /// Holds `route` once more; the pointer stays valid until the matching release().
    [[nodiscard]] const Route* hold(std::shared_ptr<const Route> route) {
        const Route* r = route.get();
        for (Held& h : held_) {
            if (h.route.get() == r) {
                ++h.count;
                return r;
            }
        }
        held_.push_back({std::move(route), 1});
        return r;
    }

    /// Ends one hold(); the last one lets the route go.
    void release(const Route* route) noexcept {
        for (std::size_t i = 0; i < held_.size(); ++i) {
            if (held_[i].route.get() == route) {
                if (--held_[i].count == 0) {
                    held_[i] = std::move(held_.back());
                    held_.pop_back();
                }
                return;
            }
        }
    }

    /// The shared route a held pointer names (null if it is not held).
    [[nodiscard]] std::shared_ptr<const Route> shared(const Route* route) const noexcept {
        for (const Held& h : held_) {
            if (h.route.get() == route) {
                return h.route;
            }
        }
        return nullptr;
    }

    /// Distinct routes held.
    [[nodiscard]] std::size_t size() const noexcept { return held_.size(); }

private:
    struct Held {
        std::shared_ptr<const Route> route;
        std::size_t count;
    };

    std::vector<Held> held_;  // a few: one per route in use
};

}  // namespace wsx::detail
