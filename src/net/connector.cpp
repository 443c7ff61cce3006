// Staggered connecting; see connector.hpp. Theory of operation: start_next() begins the next
// address that can begin (an address whose connect fails at once is skipped, its error kept)
// and arms its timer for the attempt delay while addresses remain. An attempt that fails is
// dropped; when none is left in flight the next address starts at once. When nothing is in
// flight and no address remains, finish() reports the last error; that report goes through
// its timer (armed for now) when found inside start(), so `done` never runs inside start(). Dropped
// attempts are detached (owner_ null) and freed from a deferred call: an event for their fd may
// still be in the loop's current batch, and must find them alive and ignore itself.
#include "wsx/net/connector.hpp"

#include <algorithm>
#include <utility>

#include "wsx/net/errc.hpp"
#include "wsx/net/tcp.hpp"

namespace wsx::net {

class Connector::Attempt final : public IoHandler {
public:
    Attempt(Connector& owner, UniqueFd fd) : owner_(&owner), fd_(std::move(fd)) {}

    void on_io(bool, bool) override {
        if (owner_ != nullptr) {
            owner_->on_attempt_ready(*this);
        }
    }

    [[nodiscard]] int fd() const noexcept { return fd_.get(); }

    [[nodiscard]] UniqueFd take_fd() noexcept { return std::move(fd_); }

    void detach() noexcept { owner_ = nullptr; }

private:
    Connector* owner_;
    UniqueFd fd_;
};

Connector::Connector(Loop& loop, TimeMs attempt_delay_ms)
    : Timer(loop), attempt_delay_ms_(attempt_delay_ms) {}

Connector::~Connector() {
    cancel();
}

void Connector::start(std::vector<SocketAddress> addresses, Done done) {
    cancel();
    addresses_ = std::move(addresses);
    next_ = 0;
    last_error_ = {};
    done_ = std::move(done);
    start_next();
    if (attempts_.empty()) {
        loop().arm(*this, loop().now());  // nothing could begin: report from the loop
    }
}

void Connector::cancel() {
    drop_all();
    loop().disarm(*this);
    done_ = nullptr;
}

void Connector::on_timer() {
    start_next();  // the attempt delay passed: the next address, the earlier ones go on
    if (attempts_.empty() && next_ >= addresses_.size()) {
        finish(last_error_ ? last_error_ : make_error_code(Errc::no_address));
    }
}

void Connector::start_next() {
    loop().disarm(*this);
    while (next_ < addresses_.size()) {
        if (try_address(addresses_[next_++])) {
            if (next_ < addresses_.size()) {
                loop().arm(*this, loop().now() + attempt_delay_ms_);
            }
            return;
        }
    }
}

bool Connector::try_address(const SocketAddress& addr) {
    auto fd = connect_tcp(addr, local_ ? &*local_ : nullptr);
    if (!fd) {
        last_error_ = fd.error();
        return false;
    }
    auto attempt = std::make_unique<Attempt>(*this, std::move(*fd));
    if (auto ec = loop().add(attempt->fd(), {.write = true}, *attempt)) {
        last_error_ = ec;
        return false;
    }
    attempts_.push_back(std::move(attempt));
    return true;
}

void Connector::on_attempt_ready(Attempt& a) {
    if (const std::error_code ec = connect_result(a.fd())) {
        last_error_ = ec;
        drop(a);
        if (attempts_.empty()) {
            start_next();  // the next address at once, without waiting for the delay
            if (attempts_.empty()) {
                finish(last_error_);
            }
        }
        return;
    }
    loop().remove(a.fd());
    UniqueFd fd = a.take_fd();
    drop_all();
    loop().disarm(*this);
    finish(std::move(fd));
}

void Connector::drop(Attempt& a) {
    auto it = std::find_if(attempts_.begin(), attempts_.end(),
                           [&](const auto& p) { return p.get() == &a; });
    if (it == attempts_.end()) {
        return;
    }
    if (a.fd() >= 0) {
        loop().remove(a.fd());
    }
    a.detach();
    loop().defer([dead = std::shared_ptr<Attempt>(std::move(*it))] {});
    attempts_.erase(it);
}

void Connector::drop_all() {
    while (!attempts_.empty()) {
        drop(*attempts_.back());
    }
}

void Connector::finish(Result<UniqueFd> result) {
    Done done = std::exchange(done_, nullptr);
    addresses_.clear();
    if (done) {
        done(std::move(result));  // last: it may destroy *this
    }
}

}  // namespace wsx::net
