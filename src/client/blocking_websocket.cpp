// wsx::BlockingWebSocket; see blocking_websocket.hpp. Each call runs the private loop until its
// condition holds or its time is up.
#include "wsx/blocking_websocket.hpp"

#include "wsx/proto/errc.hpp"

namespace wsx {

Result<std::unique_ptr<BlockingWebSocket>> BlockingWebSocket::connect(
        std::string_view url, std::vector<std::string> protocols, WebSocketOptions options,
        net::TimeMs timeout_ms) {
    auto loop = net::Loop::create();
    if (!loop) {
        return loop.error();
    }
    std::unique_ptr<BlockingWebSocket> self(new BlockingWebSocket());
    self->loop_ = std::move(*loop);
    auto ws = WebSocket::create(*self->loop_, url, std::move(protocols), std::move(options));
    if (!ws) {
        return ws.error();
    }
    self->ws_ = std::move(*ws);
    BlockingWebSocket* s = self.get();
    s->ws_->on_open = [s] {
        s->open_ = true;
    };
    s->ws_->on_message = [s](const MessageEvent& e) {
        s->inbox_.push_back(Message{e.type, std::string(e.data)});
    };
    s->ws_->on_error = [s](const ErrorEvent& e) {
        s->error_ = e;
    };
    s->ws_->on_close = [s](const CloseEvent& e) {
        s->close_event_ = e;
    };
    s->pump_until([s] { return s->open_ || s->close_event_.has_value(); }, timeout_ms);
    if (!s->open_) {
        return s->error_ ? s->error_->error : std::make_error_code(std::errc::timed_out);
    }
    return self;
}

BlockingWebSocket::~BlockingWebSocket() {
    ws_.reset();
    if (loop_) {
        loop_->run_once(0);  // release what the WebSocket deferred
    }
}

void BlockingWebSocket::pump_until(const std::function<bool()>& done, net::TimeMs timeout_ms) {
    const net::TimeMs deadline = loop_->update_now() + timeout_ms;
    while (!done()) {
        const net::TimeMs left = deadline - loop_->update_now();
        if (left <= 0) {
            break;
        }
        loop_->run_once(left);
    }
}

std::error_code BlockingWebSocket::wait_written(net::TimeMs timeout_ms) {
    pump_until([this] { return ws_->buffered_amount() == 0 || close_event_.has_value(); },
               timeout_ms);
    if (close_event_) {
        return proto::Errc::not_open;
    }
    return ws_->buffered_amount() == 0 ? std::error_code()
                                       : std::make_error_code(std::errc::timed_out);
}

std::error_code BlockingWebSocket::send(std::string_view text, net::TimeMs timeout_ms) {
    if (auto ec = ws_->send(text)) {
        return ec;
    }
    return wait_written(timeout_ms);
}

std::error_code BlockingWebSocket::send_binary(std::string_view bytes, net::TimeMs timeout_ms) {
    if (auto ec = ws_->send_binary(bytes)) {
        return ec;
    }
    return wait_written(timeout_ms);
}

Result<Message> BlockingWebSocket::receive(net::TimeMs timeout_ms) {
    pump_until([this] { return !inbox_.empty() || close_event_.has_value(); }, timeout_ms);
    if (!inbox_.empty()) {
        Message m = std::move(inbox_.front());
        inbox_.pop_front();
        return m;
    }
    return close_event_ ? make_error_code(proto::Errc::not_open)
                        : std::make_error_code(std::errc::timed_out);
}

CloseEvent BlockingWebSocket::close(std::optional<std::uint16_t> code, std::string_view reason,
                                    net::TimeMs timeout_ms) {
    if (!close_event_) {
        (void)ws_->close(code, reason);
        pump_until([this] { return close_event_.has_value(); }, timeout_ms);
    }
    return close_event_.value_or(CloseEvent{});
}

}  // namespace wsx
