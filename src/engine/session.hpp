// wsx::detail::Session: the connection engine. It joins one transport to the protocol object of
// one connection (an HTTP exchange, then a WebSocket endpoint; or a client endpoint) and does,
// once for servers and clients alike: read into the thread's shared buffer, hand the bytes to the
// owner (which feeds its protocol object and dispatches events), write the owner's output queue
// with writev once per batch, keep the loop's interest right, stop reading above the high
// watermark and resume below the low one, linger after the protocol is over, and keep one timer
// for every deadline. Callbacks run through invoke(), the one place that catches what they throw.
//
// Rules: the engine never parses bytes and never looks inside the protocol object: everything it
// knows of it comes through its hooks, which the owner (a class derived from Session, or
// OwnedSession's owner) answers. It never names a concrete transport.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "wsx/net/loop.hpp"
#include "wsx/net/timer.hpp"
#include "wsx/net/transport.hpp"
#include "wsx/net/unique_fd.hpp"
#include "wsx/proto/output_queue.hpp"

namespace wsx::detail {

/// How the TCP connection ends once the protocol is over.
enum class Linger {
    fin_then_wait,  // RFC 6455 §7.1.1, server: FIN after our last byte, then wait for the peer's
    wait_for_fin,   // client after a clean close: the server closes first, wait for it
    none,           // close at once (a failed client connection)
};

/// Runs `fn`; whatever it throws is caught, described to `on_throw`, and false returned. The
/// one wrapper every application callback runs in (through Session::invoke where there is one).
template <class Fn, class OnThrow>
bool run_guarded(Fn&& fn, OnThrow&& on_throw) noexcept {
    try {
        fn();
        return true;
    } catch (const std::exception& e) {
        on_throw(std::string_view(e.what()));
    } catch (...) {
        on_throw(std::string_view("an exception not derived from std::exception"));
    }
    return false;
}

/// Settings shared by every session of a server or client: one object, pointed to.
struct SessionConfig {
    std::size_t low_watermark = std::numeric_limits<std::size_t>::max();
    std::size_t high_watermark = std::numeric_limits<std::size_t>::max();  // max: never pause
    net::TimeMs closing_timeout_ms = 5'000;                                // lingering, at most
};

/// The engine of one connection. Its owner derives from it and answers the hooks below (the
/// protected virtuals): the owner is the session, so it costs no pointer back to the owner and
/// no vtable pointer of its own. One timer serves every deadline.
class Session : private net::IoHandler, private net::Timer {
public:
    Session(net::Loop& loop, std::unique_ptr<net::Transport> transport);
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    virtual ~Session();

    /// Registers with the loop and writes what the owner has queued (a client's request).
    [[nodiscard]] std::error_code start();

    /// The owner queued output or changed state: write now unless events are being dispatched
    /// (then once after the batch), and bring interest and deadline up to date.
    void output_queued();

    /// Runs `fn`, which dispatches the owner's events, as a batch: one flush after it.
    template <class Fn>
    void dispatch(Fn&& fn) {
        const bool outer = !in_dispatch_;
        in_dispatch_ = true;
        fn();
        if (outer) {
            in_dispatch_ = false;
            if (!finished_) {
                flush();
            }
        }
    }

    /// Runs a user callback; whatever it throws is caught here, handed to the owner
    /// (on_callback_threw) and false returned.
    template <class Fn>
    bool invoke(Fn&& fn) noexcept {
        return run_guarded(std::forward<Fn>(fn),
                           [this](std::string_view what) { on_callback_threw(what); });
    }

    /// Application-level flow control: while paused, nothing more is read.
    void set_reading_paused(bool paused);

    /// Sends `length` bytes of `file` once the output queue is written (a plain-HTTP body);
    /// on_file_sent() follows. Starts at the next flush (output_queued(), or the batch's end).
    void send_file(net::UniqueFd file, std::uint64_t length);

    [[nodiscard]] bool sending_file() const noexcept { return sending_file_; }

    /// A file body on its way out (send_file()), kept where the owner says (file_slot()).
    struct FileBody {
        net::UniqueFd fd;
        std::uint64_t offset = 0;
        std::uint64_t left = 0;
    };

    /// Closes the transport now; on_finished() follows at once. Safe anywhere, once.
    void finish(std::string_view why, std::error_code error = {});

    [[nodiscard]] bool finished() const noexcept { return finished_; }

    [[nodiscard]] bool in_dispatch() const noexcept { return in_dispatch_; }

    /// The protocol is over; only the TCP close is left (input is discarded).
    [[nodiscard]] bool lingering() const noexcept { return lingering_; }

    /// Above the high watermark (reading stopped until the output drains).
    [[nodiscard]] bool backpressured() const noexcept { return paused_; }

    [[nodiscard]] net::Loop& loop() const noexcept { return Timer::loop(); }

    [[nodiscard]] int fd() const noexcept;

    /// The transport's TLS parameters (Transport::security()); empty for plain TCP.
    [[nodiscard]] std::optional<net::SecurityInfo> security() const {
        return transport_ ? transport_->security() : std::nullopt;
    }

protected:
    // What the engine needs of the protocol state its owner keeps. Called on the loop thread.

    /// The watermarks and lingering of this session (one object for a whole server or client).
    [[nodiscard]] virtual const SessionConfig& session_config() const noexcept = 0;
    /// Bytes read: feed them to the protocol object and dispatch its events. They stay valid
    /// until this returns.
    virtual void on_input(std::span<char> bytes) = 0;

    /// Where the next read should go instead of the loop's shared buffer (the rest of a large
    /// frame, straight into its message: Endpoint::direct_input()); on_input() then gets it.
    [[nodiscard]] virtual std::span<char> direct_input() { return {}; }

    /// The peer closed its side, or the connection failed: tell the protocol object (feed_eof).
    virtual void on_input_end() = 0;

    [[nodiscard]] virtual const proto::OutputQueue& output() const noexcept = 0;

    virtual void consume_output(std::size_t n) noexcept = 0;

    /// The protocol is over: once the output is written, the TCP connection ends.
    [[nodiscard]] virtual bool protocol_over() const noexcept = 0;

    [[nodiscard]] virtual Linger linger() const noexcept { return Linger::fin_then_wait; }

    /// False while the next input must wait in the socket (a plain-HTTP response is being made).
    [[nodiscard]] virtual bool wants_input() const noexcept { return true; }

    /// While not reading: still watch for the peer's FIN (a deferred response's producer ends
    /// when its client leaves).
    [[nodiscard]] virtual bool watches_hangup() const noexcept { return false; }

    /// The peer left while reading was off (see watches_hangup()); return true to end the
    /// connection now.
    virtual bool on_hangup() { return false; }

    /// The protocol object's next deadline.
    [[nodiscard]] virtual std::optional<net::TimeMs> deadline() const noexcept = 0;

    /// The deadline passed: let the protocol object act (handle_timeout).
    virtual void on_deadline(net::TimeMs now) = 0;

    /// Output not written for this long while some waits ends the connection (0: never).
    [[nodiscard]] virtual net::TimeMs write_stall_limit() const noexcept { return 0; }

    /// The output fell below the low watermark after passing the high one.
    virtual void on_drain() {}

    /// Reading was paused: the output passed the high watermark (on_drain() follows).
    virtual void on_pause() {}

    /// A file body given to send_file() is written whole.
    virtual void on_file_sent() {}

    /// Where a file body given to send_file() is kept while it goes out: the owner's, so that a
    /// session, which rarely sends one, holds no room for it (null: this owner sends none).
    [[nodiscard]] virtual std::unique_ptr<FileBody>* file_slot() noexcept { return nullptr; }

    /// A callback run through Session::invoke() threw; `what` describes it. Log and close.
    virtual void on_callback_threw(std::string_view what) = 0;

    /// The transport is closed and deregistered; `why` for the log, `error` if I/O failed. The
    /// owner may free itself after the current loop batch, not before.
    virtual void on_finished(std::string_view why, std::error_code error) = 0;

private:
    void on_io(bool readable, bool writable) override;
    void on_timer() override;
    void read_input();
    void read_with_reading_off();
    bool read_once(std::span<char> buffer);
    void flush();
    bool write_output();
    void send_file_body();
    void drop_file() noexcept;
    void check_watermarks();
    void linger_when_written();
    void update_interest();
    void update_deadline();
    [[nodiscard]] bool reading_allowed() const noexcept;
    [[nodiscard]] std::optional<net::TimeMs> next_deadline() const noexcept;
    [[nodiscard]] bool write_stalled(net::TimeMs now) const noexcept;
    [[nodiscard]] net::TimeMs stalled_for(net::TimeMs now) const noexcept;

    std::unique_ptr<net::Transport> transport_;
    // The low 32 bits of loop time when output last moved (compared as a wrapping difference:
    // only stalls shorter than 49 days are told apart, and longer limits mean never).
    std::uint32_t last_write_progress_ = 0;
    net::Interest interest_{.read = true};
    // Flags, one bit each (a session is part of every connection). Lingering: the timer is then
    // armed for when the TCP connection goes, drained or not, and for nothing else (its due() is
    // that deadline).
    bool lingering_ : 1 = false;
    bool registered_ : 1 = false;
    bool finished_ : 1 = false;
    bool in_dispatch_ : 1 = false;    // flush after the batch, not per send
    bool paused_ : 1 = false;         // reading stopped by backpressure
    bool app_paused_ : 1 = false;     // reading stopped by the owner
    bool write_shut_ : 1 = false;     // FIN sent
    bool peer_fin_seen_ : 1 = false;  // the peer's FIN arrived while reading was off
    bool hangup_muted_ : 1 = false;   // input waits while reading is off: no FIN watch
    bool sending_file_ : 1 = false;   // *file_slot() holds a body going out
};

}  // namespace wsx::detail
