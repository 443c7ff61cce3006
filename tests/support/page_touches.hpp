// Counts the work a parser does on its input without a clock: the input lives in pages that are
// unreadable except for the one last touched, so every move of the parser to another page costs
// one SIGSEGV that is counted and answered by making that page readable. A single pass
// over n pages costs about n touches; going back to bytes already passed costs more touches each
// time. A guard page after the input turns any read past its end into a crash, as
// picohttpparser's test.c does. Not thread-safe: one PageTouches at a time, on the thread that
// parses; the handler is installed only while measure() runs.
#pragma once

#include <csignal>
#include <cstddef>
#include <cstring>
#include <string_view>

#include <sys/mman.h>
#include <unistd.h>

namespace wsx::test {

class PageTouches {
public:
    /// Copies `input` so that it ends where the guard page begins.
    explicit PageTouches(std::string_view input)
        : page_(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE))),
          pages_((input.size() + page_ - 1) / page_),
          size_(input.size()) {
        mapped_ = (pages_ + 1) * page_;
        void* p = ::mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                         0);
        base_ = p == MAP_FAILED ? nullptr : static_cast<char*>(p);
        if (base_ != nullptr) {
            std::memcpy(base_ + pages_ * page_ - size_, input.data(), size_);
            ::mprotect(base_ + pages_ * page_, page_, PROT_NONE);  // the guard page, for good
        }
    }

    ~PageTouches() {
        if (base_ != nullptr) {
            ::munmap(base_, mapped_);
        }
    }

    PageTouches(const PageTouches&) = delete;
    PageTouches& operator=(const PageTouches&) = delete;

    [[nodiscard]] bool ok() const { return base_ != nullptr; }

    /// The input's pages; a single pass touches about this many.
    [[nodiscard]] std::size_t pages() const { return pages_; }

    /// Runs `parse(view)` over the protected copy and returns the page touches it made, up to
    /// `cap` (past it every page is made readable, so a pathological parser finishes at memory
    /// speed and the count stays bounded).
    template <typename Parse>
    std::size_t measure(Parse&& parse, std::size_t cap) {
        const std::string_view view(base_ + pages_ * page_ - size_, size_);
        State& s = state();
        s = State{.base = base_, .page = page_, .pages = pages_, .cap = cap};
        ::mprotect(base_, pages_ * page_, PROT_NONE);

        struct sigaction act {};

        act.sa_sigaction = &on_fault;
        act.sa_flags = SA_SIGINFO;
        sigemptyset(&act.sa_mask);

        struct sigaction old {};

        ::sigaction(SIGSEGV, &act, &old);
        parse(view);
        ::sigaction(SIGSEGV, &old, nullptr);
        ::mprotect(base_, pages_ * page_, PROT_READ | PROT_WRITE);
        return s.touches;
    }

private:
    struct State {
        char* base = nullptr;
        std::size_t page = 0;
        std::size_t pages = 0;
        std::size_t cap = 0;
        std::size_t touches = 0;
        std::size_t open[2] = {kNone, kNone};  // readable pages; open[1] only for a straddle
        std::size_t previous = kNone;          // the page of the fault before the last one
    };

    static constexpr std::size_t kNone = ~std::size_t{0};

    static State& state() {
        static State s;
        return s;
    }

    static void set(const State& s, std::size_t page, int prot) {
        if (page != kNone) {
            ::mprotect(s.base + page * s.page, s.page, prot);
        }
    }

    // Async-signal-safe: arithmetic and mprotect only. One page is readable at a time, except
    // when one access straddles two neighbouring pages: its retry faults back on the page just
    // left (p, p+1, p), and then both stay readable until the next fault.
    static void on_fault(int, siginfo_t* info, void*) {
        State& s = state();
        char* const at = static_cast<char*>(info->si_addr);
        if (at < s.base || at >= s.base + s.pages * s.page || s.touches >= s.cap) {
            // Not ours (the guard page, or a real bug): the default action, on return, crashes.
            ::signal(SIGSEGV, SIG_DFL);
            return;
        }
        const std::size_t page = static_cast<std::size_t>(at - s.base) / s.page;
        if (++s.touches == s.cap) {
            ::mprotect(s.base, s.pages * s.page, PROT_READ);
            return;
        }
        const std::size_t last = s.open[0];
        const bool straddle =
                page == s.previous && s.open[1] == kNone && (page + 1 == last || last + 1 == page);
        set(s, s.open[1], PROT_NONE);
        if (straddle) {
            s.open[1] = last;
        } else {
            set(s, last, PROT_NONE);
            s.open[1] = kNone;
        }
        s.open[0] = page;
        s.previous = last;
        set(s, page, PROT_READ);
    }

    std::size_t page_;
    std::size_t pages_;
    std::size_t size_;
    std::size_t mapped_ = 0;
    char* base_ = nullptr;
};

}  // namespace wsx::test
