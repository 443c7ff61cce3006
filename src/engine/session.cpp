// The connection engine; see session.hpp for what it does and must not do.
#include "engine/session.hpp"

#include <algorithm>
#include <array>

#include "engine/read_buffer.hpp"

namespace wsx::detail {
namespace {

// Reads per readiness report before yielding to other connections (fairness).
constexpr int kReadsPerWake = 4;
// A file body goes out in pieces of at most this much per sendfile call.
constexpr std::size_t kFileChunk = 1024 * 1024;
// Views handed to one writev call.
constexpr std::size_t kWriteViews = 64;

}  // namespace

Session::Session(net::Loop& loop, std::unique_ptr<net::Transport> transport)
    : Timer(loop),
      transport_(std::move(transport)),
      last_write_progress_(static_cast<std::uint32_t>(loop.now())) {}

Session::~Session() {
    if (registered_ && !finished_) {
        loop().remove(transport_->fd());
    }
}

int Session::fd() const noexcept {
    return transport_ ? transport_->fd() : -1;
}

std::error_code Session::start() {
    const auto wanted = transport_->interest({.read = interest_.read, .write = interest_.write});
    interest_.read = wanted.read;
    interest_.write = wanted.write;
    if (auto ec = loop().add(transport_->fd(), interest_, *this)) {
        return ec;
    }
    registered_ = true;
    flush();
    return {};
}

void Session::output_queued() {
    if (!in_dispatch_ && !finished_) {
        flush();
    }
}

void Session::on_io(bool readable, bool writable) {
    if (finished_) {
        return;
    }
    if (writable) {
        flush();
    }
    if (readable && !finished_) {
        if (reading_allowed() || lingering()) {
            read_input();
        } else {
            read_with_reading_off();
        }
    }
    // A read that only moved a cipher's handshake along produced no input (and so no flush):
    // what the transport waits for may have changed all the same (TLS, see transport.hpp).
    update_interest();
}

void Session::read_input() {
    ReadBufferLease lease;
    for (int i = 0; !finished_ && (reading_allowed() || lingering()); ++i) {
        if (i >= kReadsPerWake && !transport_->has_pending_input()) {
            break;  // level-triggered: the loop reports the rest again
        }
        const std::span<char> into = direct_input();
        if (!read_once(into.empty() ? lease.bytes() : into)) {
            break;
        }
    }
}

bool Session::read_once(std::span<char> buffer) {
    const net::IoResult r = transport_->read(buffer);
    switch (r.status) {
        case net::IoResult::Status::would_block:
            return false;
        case net::IoResult::Status::eof:
            on_input_end();
            finish(lingering() ? "closed" : "peer closed the TCP connection");
            return false;
        case net::IoResult::Status::error:
            on_input_end();
            finish("read: " + r.error.message(), r.error);
            return false;
        case net::IoResult::Status::ok:
            break;
    }
    if (lingering()) {
        return true;  // discarded: after the protocol is over, only the peer's FIN matters
    }
    dispatch([&] { on_input(buffer.first(r.bytes)); });
    return !finished_ && (r.bytes == buffer.size() || transport_->has_pending_input());
}

void Session::read_with_reading_off() {
    // Reading is off, so this is a hang-up, an error, or readiness reported before reading
    // stopped. Look without taking: data stays for later, and a FIN or an error is acted on
    // (never ignored: level-triggered epoll would report it again at once).
    char byte = 0;
    const net::IoResult r = transport_->peek(std::span<char>(&byte, 1));
    switch (r.status) {
        case net::IoResult::Status::eof:
            if (on_hangup() || finished_) {
                return;
            }
            peer_fin_seen_ = true;  // read to the end once reading resumes
            break;
        case net::IoResult::Status::error:
            on_input_end();
            finish("read: " + r.error.message(), r.error);
            return;
        case net::IoResult::Status::ok:
            // Data waits (a pipelined request); a FIN behind it cannot be seen without reading
            // it, and would be reported again and again: stop watching until reading resumes.
            hangup_muted_ = true;
            break;
        case net::IoResult::Status::would_block:
            return;
    }
    update_interest();
}

void Session::flush() {
    if (finished_ || !write_output()) {
        return;
    }
    if (sending_file_ && output().empty()) {
        send_file_body();
        if (finished_) {
            return;
        }
    }
    const std::size_t buffered = output().size();
    bool drained = false;
    bool paused_now = false;
    const SessionConfig& config = session_config();
    if (!paused_ && buffered > config.high_watermark) {
        paused_ = true;
        paused_now = true;
    } else if (paused_ && buffered < config.low_watermark) {
        paused_ = false;
        drained = true;
    }
    if (protocol_over() && !sending_file_) {
        linger_when_written();
        if (finished_) {
            return;
        }
    }
    update_interest();
    update_deadline();
    if (paused_now) {
        on_pause();
    } else if (drained) {
        on_drain();
    }
}

bool Session::write_output() {
    std::array<std::string_view, kWriteViews> views{};
    const proto::OutputQueue& out = output();
    while (!out.empty()) {
        const std::size_t n = out.peek(views);
        const net::IoResult r =
                transport_->write(std::span<const std::string_view>(views.data(), n));
        if (r.status == net::IoResult::Status::would_block) {
            break;
        }
        if (r.status != net::IoResult::Status::ok) {
            on_input_end();
            finish("writev: " + r.error.message(), r.error);
            return false;
        }
        consume_output(r.bytes);
        last_write_progress_ = static_cast<std::uint32_t>(loop().now());
    }
    return true;
}

void Session::send_file(net::UniqueFd file, std::uint64_t length) {
    std::unique_ptr<FileBody>* slot = file_slot();
    if (slot == nullptr) {
        return;  // an owner that keeps no file body sends none (the file closes here)
    }
    *slot = std::make_unique<FileBody>(FileBody{.fd = std::move(file), .left = length});
    sending_file_ = true;
    last_write_progress_ = static_cast<std::uint32_t>(loop().now());
}

void Session::send_file_body() {
    // Called with the output queue empty: what came before the file is on the wire.
    std::unique_ptr<FileBody>* slot = file_slot();
    if (slot == nullptr || *slot == nullptr) {
        sending_file_ = false;  // the owner let it go
        return;
    }
    FileBody& file = **slot;
    while (file.left > 0) {
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(file.left, kFileChunk));
        const net::IoResult r = transport_->send_file(file.fd.get(), file.offset, want);
        if (r.status == net::IoResult::Status::would_block) {
            return;
        }
        if (r.status != net::IoResult::Status::ok || r.bytes == 0) {
            on_input_end();
            finish(r.bytes == 0 ? "file shrank while being sent" : "sendfile: " + r.error.message(),
                   r.error);
            return;
        }
        file.left -= r.bytes;
        last_write_progress_ = static_cast<std::uint32_t>(loop().now());
    }
    drop_file();
    on_file_sent();
}

void Session::drop_file() noexcept {
    if (sending_file_) {
        sending_file_ = false;
        if (std::unique_ptr<FileBody>* slot = file_slot()) {
            slot->reset();
        }
    }
}

void Session::linger_when_written() {
    const Linger how = linger();
    const bool written = output().empty();
    if (how == Linger::none) {
        if (written) {
            finish("closed");
        }
        return;
    }
    // From now on the TCP connection has the closing timeout to go away, whether or not the peer
    // reads what is still queued (a peer that stopped reading would otherwise hold it forever).
    if (!lingering_) {
        lingering_ = true;  // every other deadline is over: the timer keeps this one only
        loop().arm(*this,
                   loop().now() + std::max<net::TimeMs>(session_config().closing_timeout_ms, 1));
    }
    // RFC 6455 §7.1.1: the server closes the TCP connection first. A FIN after our last byte,
    // then wait for the peer's FIN: closing at once could turn unread input into a RST that
    // destroys our close frame before the peer reads it.
    if (how == Linger::fin_then_wait && written && !write_shut_) {
        transport_->shutdown_write();
        write_shut_ = true;
    }
}

bool Session::reading_allowed() const noexcept {
    return !paused_ && !app_paused_ && wants_input();
}

void Session::set_reading_paused(bool paused) {
    if (finished_ || app_paused_ == paused) {
        return;
    }
    app_paused_ = paused;
    update_interest();
}

void Session::update_interest() {
    if (finished_ || !registered_) {
        return;
    }
    const bool reading = reading_allowed();
    if (reading) {
        hangup_muted_ = false;
    }
    const bool read = reading || lingering();
    const auto wanted =
            transport_->interest({.read = read, .write = !output().empty() || sending_file_});
    const net::Interest want{
            .read = wanted.read,
            .write = wanted.write,
            .hangup = (read || (watches_hangup() && !hangup_muted_)) && !peer_fin_seen_};
    if (want.read != interest_.read || want.write != interest_.write
        || want.hangup != interest_.hangup) {
        // Cannot fail for a registered descriptor but for lack of kernel memory; the connection
        // then goes on with its old interest, and its deadlines still end it.
        (void)loop().modify(transport_->fd(), want, *this);
        interest_ = want;
    }
}

std::optional<net::TimeMs> Session::next_deadline() const noexcept {
    if (lingering_) {
        return Timer::due();  // armed for the close from the start of lingering until the end
    }
    std::optional<net::TimeMs> due = deadline();
    const net::TimeMs stall = write_stall_limit();
    if (stall > 0 && (!output().empty() || sending_file_)) {
        const net::TimeMs now = loop().now();
        const net::TimeMs at = now + std::max<net::TimeMs>(stall - stalled_for(now), 0);
        due = due ? std::min(*due, at) : at;
    }
    return due;
}

void Session::update_deadline() {
    // One timer per connection, moved only when the deadline comes earlier than the one armed:
    // a later deadline (more input arrived) is found when the timer fires, and re-armed then.
    const auto due = next_deadline();
    if (!due) {
        loop().disarm(*this);
        return;
    }
    if (!armed() || *due < Timer::due()) {
        loop().arm(*this, *due);
    }
}

net::TimeMs Session::stalled_for(net::TimeMs now) const noexcept {
    return static_cast<std::uint32_t>(static_cast<std::uint32_t>(now) - last_write_progress_);
}

bool Session::write_stalled(net::TimeMs now) const noexcept {
    const net::TimeMs stall = write_stall_limit();
    return stall > 0 && (!output().empty() || sending_file_) && stalled_for(now) >= stall;
}

void Session::on_timer() {
    if (finished_) {
        return;
    }
    const net::TimeMs now = loop().now();
    if (lingering_) {
        if (now >= Timer::due()) {
            finish(write_shut_ ? "peer did not close the TCP connection in time"
                               : "peer stopped reading; unsent output dropped");
        } else {
            update_deadline();  // an earlier deadline's timer: the close is the only one left
        }
        return;
    }
    if (write_stalled(now)) {
        finish("peer stopped reading");
        return;
    }
    const auto due = deadline();
    if (due && now >= *due) {
        dispatch([&] { on_deadline(now); });
        if (finished_) {
            return;
        }
    }
    update_deadline();
}

void Session::finish(std::string_view why, std::error_code error) {
    if (finished_) {
        return;
    }
    finished_ = true;
    loop().disarm(*this);
    if (registered_) {
        loop().remove(transport_->fd());
    }
    drop_file();
    // The descriptor is closed with the transport, when the owner is freed after this batch:
    // readiness already fetched for it then finds this object still alive, and finished.
    on_finished(why, error);
}

}  // namespace wsx::detail
