// epoll event loop; see loop.hpp. Rule: moves readiness and time, never bytes of a protocol;
// timers are kept by TimerHeap (timer.cpp), nothing here keeps an entry once it is disarmed.
#include "wsx/net/loop.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <ctime>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "wsx/net/errc.hpp"
#include "wsx/net/log.hpp"

namespace wsx::net {
namespace {

TimeMs monotonic_ms() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<TimeMs>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

std::uint32_t epoll_events(Interest interest) noexcept {
    return (interest.read ? std::uint32_t{EPOLLIN} : 0U)
           | (interest.write ? std::uint32_t{EPOLLOUT} : 0U)
           | (interest.hangup ? std::uint32_t{EPOLLRDHUP} : 0U);
}

}  // namespace

// Wakes epoll_wait when another thread defers a call or stops the loop.
class Loop::Waker final : public IoHandler {
public:
    explicit Waker(int fd) : fd_(fd) {}

    void on_io(bool, bool) override {
        std::uint64_t value = 0;
        while (::read(fd_, &value, sizeof value) < 0 && errno == EINTR) {
        }
    }

private:
    int fd_;
};

class Loop::SignalWatcher final : public IoHandler {
public:
    SignalWatcher(UniqueFd fd, std::function<void(int)> fn)
        : fd_(std::move(fd)), fn_(std::move(fn)) {}

    void on_io(bool, bool) override {
        signalfd_siginfo info{};
        while (::read(fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
            fn_(static_cast<int>(info.ssi_signo));
        }
    }

    [[nodiscard]] int fd() const noexcept { return fd_.get(); }

private:
    UniqueFd fd_;
    std::function<void(int)> fn_;
};

Result<std::unique_ptr<Loop>> Loop::create() {
    std::signal(SIGPIPE, SIG_IGN);
    std::unique_ptr<Loop> loop(new Loop());  // private constructor: make_unique cannot reach it
    loop->epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
    if (!loop->epoll_.valid()) {
        return last_system_error();
    }
    loop->wake_fd_.reset(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!loop->wake_fd_.valid()) {
        return last_system_error();
    }
    loop->waker_ = std::make_unique<Waker>(loop->wake_fd_.get());
    if (auto ec = loop->add(loop->wake_fd_.get(), {.read = true}, *loop->waker_)) {
        return ec;
    }
    loop->now_ = monotonic_ms();
    return loop;
}

Loop::~Loop() {
    // Deferred calls that never ran are dropped (not run) while the loop is still whole: what they
    // hold may deregister or disarm itself as it goes, and may defer again.
    for (;;) {
        std::vector<std::function<void()>> pending;
        {
            std::lock_guard lock(deferred_mutex_);
            pending.swap(deferred_);
        }
        if (pending.empty()) {
            break;
        }
    }
    timers_.clear();  // timers that outlive the loop find themselves disarmed
}

std::error_code Loop::control(int op, int fd, Interest interest, IoHandler& handler) {
    epoll_event ev{};
    ev.events = epoll_events(interest);
    ev.data.ptr = &handler;
    if (epoll_ctl(epoll_.get(), op, fd, &ev) != 0) {
        return last_system_error();
    }
    return {};
}

std::error_code Loop::add(int fd, Interest interest, IoHandler& handler) {
    return control(EPOLL_CTL_ADD, fd, interest, handler);
}

std::error_code Loop::modify(int fd, Interest interest, IoHandler& handler) {
    return control(EPOLL_CTL_MOD, fd, interest, handler);
}

void Loop::remove(int fd) noexcept {
    epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void Loop::arm(Timer& t, TimeMs due_at) {
    if (t.loop_ != this) {
        t.loop_->arm(t, due_at);  // a timer is armed on its own loop
        return;
    }
    timers_.schedule(t, due_at);
}

void Loop::disarm(Timer& t) noexcept {
    if (t.armed()) {
        t.loop_->timers_.remove(t);
    }
}

// fn is moved into the map; clang-tidy 14 misses a move through try_emplace's forwarding.
// NOLINTNEXTLINE(performance-unnecessary-value-param)
TimerId Loop::add_timer(TimeMs delay_ms, std::function<void()> fn) {
    const TimerId id = next_timer_id_++;
    auto it = callbacks_.try_emplace(id, *this, id, std::move(fn)).first;
    arm(it->second, now_ + delay_ms);
    return id;
}

void Loop::cancel_timer(TimerId id) noexcept {
    callbacks_.erase(id);  // its Timer leaves the heap as it is destroyed
}

void Loop::CallbackTimer::on_timer() {
    auto f = std::move(fn);
    loop().callbacks_.erase(id);  // destroys *this: only the local copy is used below
    f();
}

void Loop::defer(std::function<void()> fn) {
    {
        std::lock_guard lock(deferred_mutex_);
        deferred_.push_back(std::move(fn));
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(wake_fd_.get(), &one, sizeof one);
}

std::error_code Loop::on_signals(std::initializer_list<int> signals, std::function<void(int)> fn) {
    sigset_t set;
    sigemptyset(&set);
    for (int s : signals) {
        sigaddset(&set, s);
    }
    if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) {
        return last_system_error();
    }
    UniqueFd fd(signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!fd.valid()) {
        return last_system_error();
    }
    signals_ = std::make_unique<SignalWatcher>(std::move(fd), std::move(fn));
    return add(signals_->fd(), {.read = true}, *signals_);
}

void Loop::stop() {
    defer([this] { stopping_ = true; });
}

TimeMs Loop::update_now() noexcept {
    now_ = monotonic_ms();
    return now_;
}

int Loop::next_timeout_ms() const noexcept {
    if (!deferred_.empty()) {
        return 0;
    }
    const Timer* first = timers_.top();
    if (first == nullptr) {
        return -1;
    }
    const TimeMs wait = first->due() - now_;
    return wait <= 0 ? 0 : static_cast<int>(std::min<TimeMs>(wait, 60'000));
}

void Loop::run_deferred() {
    std::vector<std::function<void()>> batch;
    {
        std::lock_guard lock(deferred_mutex_);
        batch.swap(deferred_);
    }
    for (auto& fn : batch) {
        fn();
    }
}

void Loop::run_timers() {
    // One at a time from the top: a handler may arm, move or disarm any timer, itself included.
    for (Timer* t = timers_.top(); t != nullptr && t->due() <= now_; t = timers_.top()) {
        timers_.remove(*t);  // fires once: disarmed before it runs
        t->on_timer();
    }
}

bool Loop::iterate(int max_wait_ms) {
    std::array<epoll_event, 256> events{};
    int timeout = 0;
    {
        std::lock_guard lock(deferred_mutex_);
        timeout = next_timeout_ms();
    }
    if (max_wait_ms >= 0 && (timeout < 0 || timeout > max_wait_ms)) {
        timeout = max_wait_ms;
    }
    const int n = epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), timeout);
    if (n < 0 && errno != EINTR) {
        log_error("epoll_wait: ", last_system_error().message());
        return false;
    }
    update_now();
    for (int i = 0; i < n; ++i) {
        const auto& ev = events[static_cast<std::size_t>(i)];
        const bool failed = (ev.events & (EPOLLERR | EPOLLHUP)) != 0;
        const bool readable = failed || (ev.events & (EPOLLIN | EPOLLRDHUP)) != 0;
        const bool writable = failed || (ev.events & EPOLLOUT) != 0;
        static_cast<IoHandler*>(ev.data.ptr)->on_io(readable, writable);
    }
    run_deferred();
    run_timers();
    run_deferred();
    return true;
}

void Loop::run() {
    stopping_ = false;
    while (!stopping_ && iterate(-1)) {
    }
}

void Loop::run_once(TimeMs max_wait_ms) {
    (void)iterate(static_cast<int>(std::clamp<TimeMs>(max_wait_ms, 0, 24 * 3600 * 1000)));
}

}  // namespace wsx::net
