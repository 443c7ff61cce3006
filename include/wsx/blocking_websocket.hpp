// wsx::BlockingWebSocket: a small blocking client for scripts and tests, on a loop of its own
// that runs only inside its calls. Every call has a timeout.
//
//     auto ws = wsx::BlockingWebSocket::connect("ws://localhost:9998/echo");
//     if (!ws) { std::cerr << ws.error().message(); return 1; }
//     (void)(*ws)->send("hello");
//     auto reply = (*ws)->receive(5000);   // a Message, or timed_out / not_open (closed)
//     (*ws)->close();
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wsx/websocket.hpp"

namespace wsx {

struct Message {
    MessageType type = MessageType::text;
    std::string data;
};

class BlockingWebSocket {
public:
    /// Connects and waits for the opening handshake. Errors: create()'s (a bad URL), and the
    /// connection's failure (refused, handshake refused, ...), or std::errc::timed_out.
    [[nodiscard]] static Result<std::unique_ptr<BlockingWebSocket>> connect(
            std::string_view url, std::vector<std::string> protocols = {},
            WebSocketOptions options = {}, net::TimeMs timeout_ms = 10'000);

    BlockingWebSocket(const BlockingWebSocket&) = delete;
    BlockingWebSocket& operator=(const BlockingWebSocket&) = delete;
    ~BlockingWebSocket();

    /// Sends, and waits until the message is written to the socket (at most `timeout_ms`).
    /// Errors: WebSocket::send()'s, std::errc::timed_out.
    [[nodiscard]] std::error_code send(std::string_view text, net::TimeMs timeout_ms = 10'000);
    [[nodiscard]] std::error_code send_binary(std::string_view bytes,
                                              net::TimeMs timeout_ms = 10'000);

    /// The next message, waiting at most `timeout_ms`. Errors: std::errc::timed_out (the
    /// connection stays usable), proto::Errc::not_open once closed (see close_event()).
    [[nodiscard]] Result<Message> receive(net::TimeMs timeout_ms);

    /// Starts the closing handshake and waits for its end (at most `timeout_ms`); returns the
    /// close event (1006 if it did not finish in time).
    [[nodiscard]] CloseEvent close(std::optional<std::uint16_t> code = std::nullopt,
                                   std::string_view reason = {}, net::TimeMs timeout_ms = 10'000);

    /// Set once the connection is closed.
    [[nodiscard]] const std::optional<CloseEvent>& close_event() const noexcept {
        return close_event_;
    }

    /// The underlying object (protocol(), ready_state(), ...).
    [[nodiscard]] WebSocket& socket() noexcept { return *ws_; }

private:
    BlockingWebSocket() = default;
    void pump_until(const std::function<bool()>& done, net::TimeMs timeout_ms);
    std::error_code wait_written(net::TimeMs timeout_ms);

    std::unique_ptr<net::Loop> loop_;
    std::unique_ptr<WebSocket> ws_;
    std::deque<Message> inbox_;
    std::optional<ErrorEvent> error_;
    std::optional<CloseEvent> close_event_;
    bool open_ = false;
};

}  // namespace wsx
