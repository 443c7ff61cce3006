// The running child sessions of one handler kind (executable handlers, CGI scripts), shared by
// every loop thread that serves its routes, under a cap on how many run at once. A slot is
// reserved before the process is spawned and settled after, so the cap holds while several loops
// start processes at once. Rules: the lock is held only inside these members, never while a
// session is called or destroyed (take() hands the session out, to die after the unlock); a
// session itself is used only on the loop thread that created it.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace wsx::detail {

template <class Key, class Session>
class SessionTable {
public:
    /// True when `cap` sessions run or are starting.
    [[nodiscard]] bool full(std::size_t cap) const {
        const std::lock_guard lock(mutex_);
        return sessions_.size() + reserved_ >= cap;
    }

    /// Takes a slot for a session about to start; false (nothing taken) at the cap.
    [[nodiscard]] bool reserve(std::size_t cap) {
        const std::lock_guard lock(mutex_);
        if (sessions_.size() + reserved_ >= cap) {
            return false;
        }
        ++reserved_;
        return true;
    }

    /// Gives back a reserved slot, to `session` under `key` if it started (non-null).
    void settle(const Key& key, std::shared_ptr<Session> session) {
        const std::lock_guard lock(mutex_);
        --reserved_;
        if (session) {
            sessions_.emplace(key, std::move(session));
        }
    }

    /// The session under `key`, or null.
    [[nodiscard]] std::shared_ptr<Session> find(const Key& key) const {
        const std::lock_guard lock(mutex_);
        const auto it = sessions_.find(key);
        return it != sessions_.end() ? it->second : nullptr;
    }

    /// Removes the session under `key` and hands it out (null if none): the caller's copy is
    /// the one that destroys it, after the lock is released.
    [[nodiscard]] std::shared_ptr<Session> take(const Key& key) {
        const std::lock_guard lock(mutex_);
        auto node = sessions_.extract(key);
        return node.empty() ? nullptr : std::move(node.mapped());
    }

    /// Sessions running now (reserved slots not counted).
    [[nodiscard]] std::size_t size() const {
        const std::lock_guard lock(mutex_);
        return sessions_.size();
    }

private:
    mutable std::mutex mutex_;
    std::unordered_map<Key, std::shared_ptr<Session>> sessions_;
    std::size_t reserved_ = 0;
};

}  // namespace wsx::detail
