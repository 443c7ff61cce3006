// `wsx connect`; see connect_command.hpp.
#include "connect/connect_command.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <deque>
#include <iostream>
#include <optional>

#include <fcntl.h>
#include <unistd.h>

#include "wsx/net/errc.hpp"
#include "wsx/net/log.hpp"
#include "wsx/net/loop.hpp"
#include "wsx/net/tls_error.hpp"
#include "wsx/proto/errc.hpp"
#include "wsx/websocket.hpp"

#include "connect/slash_commands.hpp"
#include "connect/terminal.hpp"

namespace wsx::tools {
namespace {

constexpr std::size_t kHexShown = 32;

std::string hex_preview(std::string_view data) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < std::min(data.size(), kHexShown); ++i) {
        const auto u = static_cast<unsigned char>(data[i]);
        out += kHex[u >> 4];
        out += kHex[u & 0xF];
    }
    if (data.size() > kHexShown) {
        out += "...";
    }
    return out;
}

class Client final : private net::IoHandler {
public:
    Client(net::Loop& loop, const ConnectOptions& o) : loop_(loop), o_(o) {}

    ~Client() {
        tty_.stop();
        if (stdin_registered_) {
            loop_.remove(STDIN_FILENO);
        }
        if (stdin_flags_ >= 0) {
            ::fcntl(STDIN_FILENO, F_SETFL, stdin_flags_);  // a terminal is shared: restore it
        }
        loop_.cancel_timer(ping_timer_);
        loop_.cancel_timer(reply_timer_);
        loop_.cancel_timer(quiet_timer_);
    }

    int run() {
        auto options = websocket_options();
        if (!options) {
            return kExitUsage;
        }
        auto ws = WebSocket::create(loop_, o_.url, o_.subprotocols, std::move(*options));
        if (!ws) {
            std::cerr << "wsx connect: " << o_.url << ": " << ws.error().message() << "\n";
            return kExitUsage;
        }
        ws_ = std::move(*ws);
        install_callbacks();
        if (o_.execute.empty() && !o_.echo) {  // interactive: stdin is read
            slash_ = o_.slash || ::isatty(STDIN_FILENO) == 1;
            if (!o_.no_edit) {
                (void)tty_.start("> ");  // a line editor when stdin and stdout are terminals
            }
            watch_stdin();
        }
        (void)loop_.on_signals({SIGINT, SIGTERM}, [this](int) {
            // Nothing to close while connecting or waiting to reconnect: stop at once.
            const ReadyState state = ws_->ready_state();
            if (++interrupts_ > 1 || state == ReadyState::connecting
                || state == ReadyState::closed) {
                exit_ = 130;
                loop_.stop();
                return;
            }
            (void)ws_->close(1000);
        });
        loop_.run();
        ws_.reset();
        return exit_ < 0 ? kExitAbnormal : exit_;
    }

private:
    void install_callbacks() {
        ws_->on_open = [this] {
            on_open();
        };
        ws_->on_message = [this](const MessageEvent& e) {
            on_message(e);
        };
        ws_->on_error = [this](const ErrorEvent& e) {
            on_error(e);
        };
        ws_->on_close = [this](const CloseEvent& e) {
            on_close(e);
        };
        ws_->on_ping = [this](std::string_view payload) {
            if (o_.show_ping) {
                const auto shown = tty_.guard();
                std::fprintf(stdout, "ping%s%s\n", payload.empty() ? "" : " ",
                             escape_controls(payload).c_str());
                std::fflush(stdout);
            }
        };
        ws_->on_pong = [this](std::string_view payload) {
            if (o_.show_ping) {
                const auto shown = tty_.guard();
                const net::TimeMs rtt = loop_.update_now() - ping_sent_at_;
                std::fprintf(stdout, "pong%s%s (%lld ms)\n", payload.empty() ? "" : " ",
                             escape_controls(payload).c_str(), static_cast<long long>(rtt));
                std::fflush(stdout);
            }
        };
        ws_->on_reconnect = [this](int attempt, net::TimeMs delay) {
            const auto shown = tty_.guard();
            std::cerr << "reconnecting in " << static_cast<double>(delay) / 1000 << " s (attempt "
                      << attempt << " of " << o_.reconnect << ")\n";
            reconnecting_ = true;
            exit_ = -1;  // the outcome is the last connection's
        };
    }

    // The library's options from the command line's; nullopt (and a message) for a bad header.
    [[nodiscard]] std::optional<WebSocketOptions> websocket_options() const {
        WebSocketOptions options;
        options.connect_timeout_ms = static_cast<net::TimeMs>(o_.connect_timeout_s * 1000);
        options.limits.max_message_size = o_.max_message_size;
        options.max_redirects = o_.max_redirects;
        options.proxy = o_.proxy;
        if (o_.reconnect > 0) {
            options.reconnect = {.enabled = true, .max_attempts = o_.reconnect};
        }
        options.use_environment_proxy = !o_.no_env_proxy;
        options.deflate.enabled = !o_.no_deflate;
        options.tls_config = {.verify = !o_.insecure,
                              .ca_file = o_.ca_file,
                              .ca_dir = o_.ca_dir,
                              .certificate_file = o_.cert_file,
                              .key_file = o_.key_file};
        if (!o_.origin.empty()) {
            options.origin = o_.origin;
        }
        for (const auto& h : o_.headers) {
            const auto colon = h.find(':');
            if (colon == std::string::npos || colon == 0) {
                std::cerr << "wsx connect: header '" << h << "' is not 'Name: value'\n";
                return std::nullopt;
            }
            std::string value = h.substr(colon + 1);
            value.erase(0, value.find_first_not_of(" \t"));
            options.headers.emplace_back(h.substr(0, colon), value);
        }
        return options;
    }

    void on_open() {
        saw_open_ = true;
        const auto shown = tty_.guard();
        std::cerr << "connected to " << ws_->url()
                  << (ws_->protocol().empty() ? "" : " (subprotocol " + ws_->protocol() + ")")
                  << (ws_->extensions().empty() ? "" : " (extensions " + ws_->extensions() + ")")
                  << "\n";
        if (o_.ping_interval_s > 0) {
            schedule_ping();
        }
        for (const auto& m : o_.execute) {
            send(m);
        }
        if (!o_.execute.empty() || o_.replies >= 0) {
            awaited_ = o_.replies >= 0 ? o_.replies : static_cast<int>(o_.execute.size());
            if (awaited_ == 0) {
                (void)ws_->close(1000);
                return;
            }
            received_ = 0;
            timed_out_ = false;
            loop_.cancel_timer(reply_timer_);
            reply_timer_ = loop_.add_timer(static_cast<net::TimeMs>(o_.timeout_s * 1000), [this] {
                reply_timer_ = 0;
                const auto timeout_shown = tty_.guard();
                std::cerr << "wsx connect: " << received_ << " of " << awaited_
                          << " replies within " << o_.timeout_s << " s\n";
                timed_out_ = true;
                (void)ws_->close(1000);
            });
        }
        while (!pending_lines_.empty() && ws_->ready_state() == ReadyState::open) {
            std::string l = std::move(pending_lines_.front());
            pending_lines_.pop_front();
            line(std::move(l));  // slash commands too
        }
        if (stdin_done_) {
            input_ended();
        }
    }

    // stdin is over and what it held is sent. With -n, the replies decide when to close;
    // otherwise close after --wait seconds without a message (replies still on their way).
    void input_ended() {
        if (awaited_ > 0 || ws_->ready_state() != ReadyState::open) {
            return;
        }
        loop_.cancel_timer(quiet_timer_);
        quiet_timer_ = loop_.add_timer(static_cast<net::TimeMs>(o_.wait_s * 1000), [this] {
            quiet_timer_ = 0;
            (void)ws_->close(1000);
        });
    }

    void send(const std::string& text) {
        const std::error_code ec = o_.binary ? ws_->send_binary(text) : ws_->send(text);
        if (ec) {
            const auto shown = tty_.guard();
            std::cerr << "wsx connect: not sent: " << ec.message() << "\n";
        }
    }

    void on_message(const MessageEvent& e) {
        tty_.hide();
        if (o_.raw) {
            std::fwrite(e.data.data(), 1, e.data.size(), stdout);
            if (e.type == MessageType::text) {
                std::fputc('\n', stdout);
            }
        } else if (e.type == MessageType::text) {
            std::fprintf(stdout, "< %s\n", escape_controls(e.data).c_str());
        } else {
            std::fprintf(stdout, "< [binary %zu bytes] %s\n", e.data.size(),
                         hex_preview(e.data).c_str());
        }
        std::fflush(stdout);
        tty_.show();
        if (quiet_timer_ != 0) {
            input_ended();  // a message: the silence starts again
        }
        if (o_.echo) {
            (void)(e.type == MessageType::text ? ws_->send(e.data) : ws_->send_binary(e.data));
        }
        if (awaited_ > 0 && ++received_ == awaited_) {
            loop_.cancel_timer(reply_timer_);
            reply_timer_ = 0;
            (void)ws_->close(1000);
        }
    }

    void on_error(const ErrorEvent& e) {
        const auto shown = tty_.guard();
        std::cerr << "wsx connect: " << (saw_open_ ? "" : o_.url + ": ") << e.error.message();
        if (e.status != 0) {
            std::cerr << " (HTTP " << e.status
                      << (e.location.empty() ? "" : ", Location: " + e.location) << ")";
        }
        std::cerr << "\n";
        if (!saw_open_) {
            const bool refused = e.error.category() == std::system_category()
                                 || e.error.category() == net::net_category();
            const bool tls = e.error.category() == net::tls_category()
                             || e.error.category() == net::tls_verify_category();
            exit_ = refused ? kExitRefused : tls ? kExitTls : kExitHandshake;
        } else {
            exit_ = kExitAbnormal;
        }
    }

    void on_close(const CloseEvent& e) {
        if (o_.show_close && saw_open_) {  // no "closed 1006" for a connection never made
            const auto shown = tty_.guard();
            std::fprintf(stdout, "closed %u%s%s %s\n", e.code, e.reason.empty() ? "" : " ",
                         e.reason.c_str(), e.was_clean ? "clean" : "unclean");
            std::fflush(stdout);
        }
        if (exit_ < 0) {
            const bool normal = e.code == 1000 || e.code == 1001 || e.code == 1005;
            exit_ = timed_out_     ? kExitReplyTimeout
                    : !e.was_clean ? kExitAbnormal
                    : normal       ? kExitClean
                                   : kExitCloseCode;
        }
        // A reconnection, if one is coming, is announced right after this event, in the same
        // batch: decide once that batch is over.
        reconnecting_ = false;
        loop_.defer([this] {
            if (!reconnecting_) {
                loop_.stop();
            }
        });
    }

    void schedule_ping() {
        ping_timer_ = loop_.add_timer(static_cast<net::TimeMs>(o_.ping_interval_s * 1000), [this] {
            ping_timer_ = 0;
            if (ws_->ready_state() == ReadyState::open) {
                ping_sent_at_ = loop_.update_now();
                (void)ws_->ping();
                schedule_ping();
            }
        });
    }

    // --- stdin ---

    void watch_stdin() {
        stdin_flags_ = ::fcntl(STDIN_FILENO, F_GETFL);
        if (stdin_flags_ >= 0) {
            ::fcntl(STDIN_FILENO, F_SETFL, stdin_flags_ | O_NONBLOCK);
        }
        if (!loop_.add(STDIN_FILENO, {.read = true, .hangup = false}, *this)) {
            stdin_registered_ = true;
            return;
        }
        // A regular file (or /dev/null) cannot be polled: it is always ready, so read it now.
        while (!stdin_done_) {
            on_io(true, false);
        }
    }

    void on_io(bool, bool) override {
        char buf[65536];
        const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            return;
        }
        if (n > 0 && tty_.active()) {
            const LineEditor::Input in = tty_.feed({buf, static_cast<std::size_t>(n)});
            for (const std::string& l : in.lines) {
                line(l);
            }
            if (!in.end) {
                return;
            }
        }
        if (n <= 0 || tty_.active()) {  // end of input (Ctrl-D on an empty line, on a terminal)
            tty_.stop();
            stdin_done_ = true;
            if (stdin_registered_) {
                loop_.remove(STDIN_FILENO);
                stdin_registered_ = false;
            }
            if (!partial_.empty()) {
                line(std::move(partial_));
            }
            input_ended();
            return;
        }
        partial_.append(buf, static_cast<std::size_t>(n));
        std::size_t start = 0;
        for (auto nl = partial_.find('\n'); nl != std::string::npos;
             nl = partial_.find('\n', start)) {
            std::string l = partial_.substr(start, nl - start);
            if (!l.empty() && l.back() == '\r') {
                l.pop_back();
            }
            line(std::move(l));
            start = nl + 1;
        }
        partial_.erase(0, start);
    }

    void line(std::string l) {
        if (slash_ && !l.empty() && l.front() == '/' && ws_->ready_state() == ReadyState::open) {
            command(parse_slash(l));
            return;
        }
        if (ws_->ready_state() == ReadyState::open) {
            send(l);
        } else if (ws_->ready_state() == ReadyState::connecting) {
            pending_lines_.push_back(std::move(l));
        }
    }

    void command(const SlashCommand& c) {
        const auto shown = tty_.guard();
        std::error_code ec;
        switch (c.kind) {
            case SlashCommand::Kind::message:
                send(c.payload);
                return;
            case SlashCommand::Kind::ping:
                ping_sent_at_ = loop_.update_now();
                ec = ws_->ping(c.payload);
                break;
            case SlashCommand::Kind::close:
                ec = ws_->close(c.code, c.payload);
                break;
            case SlashCommand::Kind::binary:
                ec = ws_->send_binary(c.payload);
                break;
            case SlashCommand::Kind::help:
                std::cerr << slash_help() << "\n";
                return;
            case SlashCommand::Kind::error:
                std::cerr << "wsx connect: " << c.payload << "\n";
                return;
        }
        if (ec) {
            std::cerr << "wsx connect: " << ec.message() << "\n";
        }
    }

    net::Loop& loop_;
    const ConnectOptions& o_;
    Terminal tty_;
    bool slash_ = false;
    net::TimeMs ping_sent_at_ = 0;
    std::unique_ptr<WebSocket> ws_;
    bool stdin_registered_ = false;
    bool stdin_done_ = false;
    int stdin_flags_ = -1;
    std::string partial_;
    std::deque<std::string> pending_lines_;
    int exit_ = -1;
    int interrupts_ = 0;
    int awaited_ = 0;
    int received_ = 0;
    bool timed_out_ = false;
    bool saw_open_ = false;
    bool reconnecting_ = false;
    net::TimerId ping_timer_ = 0;
    net::TimerId reply_timer_ = 0;
    net::TimerId quiet_timer_ = 0;
};

}  // namespace

int run_connect(const ConnectOptions& options) {
    auto loop = net::Loop::create();
    if (!loop) {
        std::cerr << "wsx connect: " << loop.error().message() << "\n";
        return 1;
    }
    net::set_log_level(net::LogLevel::warn);
    Client client(**loop, options);
    return client.run();
}

}  // namespace wsx::tools
