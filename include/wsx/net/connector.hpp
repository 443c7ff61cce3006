// RFC 8305 §5 staggered connecting ("Happy Eyeballs"): given the resolved addresses, in order,
// start a TCP connect to the first, and to the next each time the "Connection Attempt Delay"
// (250 ms) passes without a connection, or at once when every attempt in flight has failed. The
// first to connect wins; the others are closed. Rule: connects and reports; it never resolves,
// reads or writes (the caller owns the connected fd), and never calls back from inside start().
//
//     wsx::net::Connector connector(loop);
//     connector.start(std::move(addresses), [&](wsx::Result<wsx::net::UniqueFd> fd) {
//         if (fd) use(std::move(*fd)); else report(fd.error());
//     });
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

#include "wsx/net/address.hpp"
#include "wsx/net/loop.hpp"
#include "wsx/net/timer.hpp"
#include "wsx/net/unique_fd.hpp"
#include "wsx/result.hpp"

namespace wsx::net {

/// RFC 8305 §5: "the recommended value for the Connection Attempt Delay is 250 ms".
inline constexpr TimeMs kConnectionAttemptDelayMs = 250;

/// One staggered connect at a time. Used on its loop's thread only; not copyable or movable.
class Connector final : Timer {  // the attempt delay; also reports a failure found in start()
public:
    using Done = std::function<void(Result<UniqueFd>)>;

    explicit Connector(Loop& loop, TimeMs attempt_delay_ms = kConnectionAttemptDelayMs);

    Connector(const Connector&) = delete;
    Connector& operator=(const Connector&) = delete;

    /// Cancels what is in flight.
    ~Connector();

    /// Starts connecting to `addresses`, in the order given (resolve_async's order interleaves
    /// the families, RFC 8305 §4), cancelling any earlier start(). Calls `done` once, from a
    /// loop callback: the connected, non-blocking socket, or the last attempt's error (no_address
    /// for an empty list). `done` may destroy the Connector.
    void start(std::vector<SocketAddress> addresses, Done done);

    /// Stops: `done` is not called. Sockets still connecting are closed, and freed after the
    /// loop's current batch (events for them may be in it). A no-op when idle.
    void cancel();

    /// Binds every later attempt's socket to `local` (its port 0) before connecting; nullopt:
    /// the system chooses.
    void set_local_address(std::optional<SocketAddress> local) { local_ = local; }

    /// Between start() and `done` or cancel().
    [[nodiscard]] bool connecting() const noexcept { return static_cast<bool>(done_); }

    /// Connects started and not yet over.
    [[nodiscard]] std::size_t attempts_in_flight() const noexcept { return attempts_.size(); }

    /// The most recent attempt's failure, empty if none failed yet (for a connect timeout's
    /// report).
    [[nodiscard]] std::error_code last_error() const noexcept { return last_error_; }

private:
    class Attempt;

    void on_timer() override;
    void start_next();
    [[nodiscard]] bool try_address(const SocketAddress& addr);
    void on_attempt_ready(Attempt& a);
    void drop(Attempt& a);
    void drop_all();
    void finish(Result<UniqueFd> result);

    TimeMs attempt_delay_ms_;
    std::vector<SocketAddress> addresses_;
    std::size_t next_ = 0;
    std::vector<std::unique_ptr<Attempt>> attempts_;
    std::error_code last_error_;
    std::optional<SocketAddress> local_;
    Done done_;
};

}  // namespace wsx::net
