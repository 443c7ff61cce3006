// wsx::Connection: one accepted WebSocket connection, as its handlers see it. Valid for the
// duration of a callback; keep id() to refer to it later, never a pointer. close() is safe
// anywhere, even inside the connection's own callbacks; memory is freed after the current loop
// iteration.
//
// Backpressure: buffered_amount() is the bytes queued and not yet written (the browser API's
// bufferedAmount). Above BufferLimits::high_watermark the server stops reading from the
// connection (so a peer that sends but never reads cannot grow memory, pings included) and
// resumes below low_watermark, calling on_drain. A send that would take the queue past
// max_buffered is refused: the connection is closed with 1008, or the message is dropped and
// counted, as chosen.
#pragma once

#include <any>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wsx/http_response.hpp"
#include "wsx/net/address.hpp"
#include "wsx/net/loop.hpp"
#include "wsx/net/tcp.hpp"
#include "wsx/proto/endpoint.hpp"
#include "wsx/proto/http_exchange.hpp"

namespace wsx {

using proto::MessageType;

class Server;
struct Route;
struct Handlers;

/// What to do with data the application pushes past BufferLimits::max_buffered.
enum class OverflowAction { close, drop };

struct BufferLimits {
    std::size_t low_watermark = 1024 * 1024;
    std::size_t high_watermark = 4 * 1024 * 1024;
    std::size_t max_buffered = 64 * 1024 * 1024;
    OverflowAction overflow = OverflowAction::close;
};

/// Outcome of a send.
enum class SendStatus {
    queued,        // queued, below the high watermark
    backpressure,  // queued, above the high watermark: wait for on_drain
    dropped,       // not queued: past max_buffered with OverflowAction::drop
    closed,        // not queued: the connection is closing or closed
};

class Connection final : private net::IoHandler {
public:
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    SendStatus send_text(std::string_view text) { return send(text, MessageType::text); }

    SendStatus send_binary(std::string_view data) { return send(data, MessageType::binary); }

    SendStatus send(std::string_view data, MessageType type);

    /// Sends to every open connection of the same resource, this one included; returns how many
    /// were sent to.
    std::size_t broadcast(std::string_view data, MessageType type);

    /// Answers a deferred plain-HTTP request (HttpResponse::deferred) at once, whole. Returns
    /// false if no deferred request is waiting.
    bool respond_http(HttpResponse response);

    /// Starts answering a deferred plain-HTTP request with a body that follows in parts:
    /// `length` if known, else chunked (HTTP/1.1) or ended by closing the connection (HTTP/1.0).
    /// Returns false if no deferred request is waiting.
    bool begin_http_response(int status, proto::HeaderList headers,
                             std::optional<std::uint64_t> length);

    /// Sends part of the body begun with begin_http_response() (nothing for HEAD). Past the high
    /// watermark it returns backpressure: wait for HttpResponder::on_drain.
    SendStatus write_http_body(std::string_view data);

    /// Ends the response. A body shorter than its announced length, or `complete` false (the
    /// producer failed midway), closes the connection: the client must not take it as whole.
    void end_http_response(bool complete = true);

    /// Application-level flow control: while paused, nothing more is read from this peer (for
    /// a handler whose own consumer is full, such as a child process's stdin).
    void set_reading_paused(bool paused);

    [[nodiscard]] Server& server() noexcept { return server_; }

    /// The opening handshake's request (header fields and all), once it has been read.
    [[nodiscard]] const proto::HttpRequest* request() const noexcept {
        const auto* r = upgrade_request_ ? &*upgrade_request_
                        : exchange_      ? exchange_->upgrade_request()
                                         : nullptr;
        return r != nullptr ? &r->http : nullptr;
    }

    /// Starts the closing handshake. Errors: not_open, invalid_close_code_to_send,
    /// close_reason_too_long, invalid_close_reason.
    std::error_code close(std::uint16_t code = 1000, std::string_view reason = {});

    /// Sends a ping. Errors: not_open, control_payload_too_long.
    std::error_code ping(std::string_view payload = {});

    [[nodiscard]] std::size_t buffered_amount() const noexcept { return output().size(); }

    [[nodiscard]] std::uint64_t id() const noexcept { return id_; }

    [[nodiscard]] bool is_open() const noexcept {
        return endpoint_ && endpoint_->state() == proto::State::open;
    }

    [[nodiscard]] const net::SocketAddress& remote_address() const noexcept { return remote_; }

    [[nodiscard]] std::string_view path() const noexcept;

    [[nodiscard]] const std::string& subprotocol() const noexcept {
        static const std::string none;
        return endpoint_ ? endpoint_->subprotocol() : none;
    }

    /// The data the upgrade hook attached.
    [[nodiscard]] std::any& user_data() noexcept { return user_data_; }

    [[nodiscard]] const std::any& user_data() const noexcept { return user_data_; }

private:
    friend class Server;

    /// RFC 7617 §2: the challenge a 401 carries.
    static constexpr const char* kAuthChallenge = "Basic realm=\"wsx\", charset=\"UTF-8\"";

    Connection(Server& server, std::uint64_t id, net::UniqueFd fd, net::SocketAddress remote);

    void on_io(bool readable, bool writable) override;
    void on_readable();
    void on_hangup();
    void dispatch_events();
    void dispatch_http_events();
    void on_upgrade_requested(const proto::UpgradeRequest& request);
    void on_http_request(const proto::HttpRequest& request);
    [[nodiscard]] std::string default_subprotocol(const std::vector<std::string>& offered) const;
    void answer_http(HttpResponse response);
    [[nodiscard]] bool keep_alive_for(const proto::HttpRequest& request) const;
    void log_http_response(std::string_view note = {});
    void send_file_body();
    void after_http_response();
    void on_failed(std::error_code ec);
    template <class Fn>
    void invoke(Fn&& fn);
    void flush();
    void update_interest();
    [[nodiscard]] bool reading_allowed() const noexcept;
    void close_transport_when_drained();
    void finish(std::string_view why);
    void log_session(std::string_view why) const;
    void on_timer(net::TimeMs now);
    // The protocol in charge: the endpoint once upgraded, else the HTTP exchange.
    [[nodiscard]] const proto::OutputQueue& output() const noexcept;
    void consume_output(std::size_t n) noexcept;
    void feed_eof();
    [[nodiscard]] bool should_close_transport() const noexcept;
    [[nodiscard]] bool response_in_progress() const noexcept;

    /// The protocol is over; only the TCP close is left (reads are discarded).
    [[nodiscard]] bool lingering() const noexcept { return close_deadline_ != 0; }

    [[nodiscard]] const Handlers* handlers() const noexcept;

    Server& server_;
    std::uint64_t id_;
    net::TcpTransport transport_;
    net::SocketAddress remote_;
    std::optional<proto::HttpExchange> exchange_;           // until a request is upgraded
    std::optional<proto::Endpoint> endpoint_;               // after
    std::optional<proto::UpgradeRequest> upgrade_request_;  // what the endpoint was accepted with
    std::shared_ptr<const Route> route_;  // kept alive across a route reload (SIGHUP)
    std::any user_data_;
    net::Interest interest_{.read = true};
    bool opened_ = false;         // on_open ran: on_close is owed
    bool finished_ = false;       // transport closed, waiting to be freed
    bool paused_ = false;         // reading stopped by backpressure
    bool app_paused_ = false;     // reading stopped by the application
    bool in_dispatch_ = false;    // flush after the event loop, not per send
    bool write_shut_ = false;     // FIN sent
    bool peer_fin_seen_ = false;  // the peer's FIN arrived while reading was off
    bool hangup_muted_ = false;   // input waits behind a deferred response: no FIN watch
    net::UniqueFd file_;          // an HTTP response body being sent with sendfile
    std::uint64_t file_offset_ = 0;
    std::uint64_t file_left_ = 0;
    // The plain-HTTP response in progress (deferred, streamed or a file).
    std::unique_ptr<HttpResponder> responder_;

    struct HttpExchange {
        std::string request_line;  // "GET /x HTTP/1.1", for the access log
        bool keep_alive = false;
        bool head_only = false;
        bool is_11 = false;
        std::optional<std::uint64_t> length_left;  // announced Content-Length still owed
        int status = 0;
        std::uint64_t bytes = 0;
        net::TimeMs started = 0;
    } http_;

    net::TimeMs last_write_progress_ = 0;
    net::TimeMs close_deadline_ = 0;  // when the TCP connection goes, drained or not
    net::TimeMs opened_at_ = 0;
    // For the access log line of the session.
    std::uint64_t messages_in_ = 0;
    std::uint64_t bytes_in_ = 0;
    std::uint64_t messages_out_ = 0;
    std::uint64_t bytes_out_ = 0;
};

}  // namespace wsx
