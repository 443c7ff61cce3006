// One loop's topics: which subscribers each topic has, and which topics each subscriber is on.
// Subscribing, unsubscribing and removing a subscriber altogether cost O(1) plus the few topics
// that subscriber is on (each topic's subscribers are a vector, removed from by swapping the
// last one in, whose own record of its place is then updated); a topic with no subscriber left
// is gone. Only subscribers pay: a connection on no topic is in no map. Rule: one loop thread's,
// never shared (topics reach other loops as deferred calls); `Sub` is any object, by address.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace wsx::detail {

/// Topic names are looked up by view, not copied for each lookup.
struct TopicNameHash {
    using is_transparent = void;  // NOLINT(readability-identifier-naming): the standard name

    std::size_t operator()(std::string_view s) const noexcept {
        return std::hash<std::string_view>{}(s);
    }
};

template <class Sub>
class TopicTable {
public:
    /// Told of each topic that gets its first subscriber here (true) or loses its last (false):
    /// how a broker learns which topics this loop listens to.
    using Observer = std::function<void(std::string_view topic, bool listened)>;

    void set_observer(Observer observer) { observer_ = std::move(observer); }

    /// Adds `sub` to `topic`; false if it is there already.
    bool subscribe(std::string_view topic, Sub* sub) {
        auto it = topics_.find(topic);
        if (it == topics_.end()) {
            it = topics_.emplace(std::string(topic), std::make_unique<Topic>()).first;
            it->second->name = &it->first;
            if (observer_) {
                observer_(it->first, true);
            }
        }
        Topic& t = *it->second;
        std::vector<Place>& places = places_[sub];
        for (const Place& p : places) {
            if (p.topic == &t) {
                return false;
            }
        }
        places.push_back({&t, static_cast<std::uint32_t>(t.subscribers.size())});
        t.subscribers.push_back(sub);
        ++subscriptions_;
        return true;
    }

    /// Takes `sub` off `topic`; false if it was not on it.
    bool unsubscribe(std::string_view topic, Sub* sub) {
        const auto it = topics_.find(topic);
        const auto pit = places_.find(sub);
        if (it == topics_.end() || pit == places_.end()) {
            return false;
        }
        std::vector<Place>& places = pit->second;
        for (std::size_t i = 0; i < places.size(); ++i) {
            if (places[i].topic == it->second.get()) {
                leave(places[i]);
                places[i] = places.back();
                places.pop_back();
                if (places.empty()) {
                    places_.erase(pit);
                }
                return true;
            }
        }
        return false;
    }

    /// Takes `sub` off every topic it is on (its connection closed); how many that was.
    std::size_t remove(Sub* sub) {
        const auto pit = places_.find(sub);
        if (pit == places_.end()) {
            return 0;
        }
        const std::vector<Place> places = std::move(pit->second);
        places_.erase(pit);
        for (const Place& p : places) {
            leave(p);
        }
        return places.size();
    }

    /// The subscribers of `topic` now (empty if none); invalidated by any change to the table.
    [[nodiscard]] std::span<Sub* const> subscribers(std::string_view topic) const {
        const auto it = topics_.find(topic);
        return it == topics_.end() ? std::span<Sub* const>()
                                   : std::span<Sub* const>(it->second->subscribers);
    }

    [[nodiscard]] std::size_t topic_count() const noexcept { return topics_.size(); }

    /// Subscriptions: pairs of a subscriber and a topic it is on.
    [[nodiscard]] std::size_t subscription_count() const noexcept { return subscriptions_; }

    /// The topics `sub` is on, in no particular order.
    [[nodiscard]] std::vector<std::string> topics_of(const Sub* sub) const {
        std::vector<std::string> names;
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): a lookup key, not written
        if (const auto pit = places_.find(const_cast<Sub*>(sub)); pit != places_.end()) {
            for (const Place& p : pit->second) {
                names.push_back(*p.topic->name);
            }
        }
        return names;
    }

private:
    struct Topic {
        const std::string* name = nullptr;  // the map's key
        std::vector<Sub*> subscribers;
    };

    struct Place {
        Topic* topic;
        std::uint32_t index;  // in topic->subscribers
    };

    // Takes the subscriber at `p` off its topic: the last one moves into its slot and its own
    // record of that topic's place is updated; an emptied topic is erased.
    void leave(const Place& p) {
        Topic& t = *p.topic;
        Sub* moved = t.subscribers.back();
        t.subscribers[p.index] = moved;
        t.subscribers.pop_back();
        --subscriptions_;
        if (p.index < t.subscribers.size()) {
            for (Place& q : places_.find(moved)->second) {
                if (q.topic == &t) {
                    q.index = p.index;
                    break;
                }
            }
        }
        if (t.subscribers.empty()) {
            if (observer_) {
                observer_(*t.name, false);
            }
            topics_.erase(topics_.find(*t.name));
        }
    }

    std::unordered_map<std::string, std::unique_ptr<Topic>, TopicNameHash, std::equal_to<>> topics_;
    std::unordered_map<Sub*, std::vector<Place>> places_;
    std::size_t subscriptions_ = 0;
    Observer observer_;
};

}  // namespace wsx::detail
