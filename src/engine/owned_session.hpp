// wsx::detail::OwnedSession<Owner>: a Session whose hooks go to an object that is not itself the
// session. The client is one: its WebSocket state outlives each connection attempt's engine. A
// server connection derives from Session directly (a connection per socket: the pointer this
// adds is worth saving there). Owner has Session's required hooks as plain members (on_input,
// on_input_end, output, consume_output, protocol_over, deadline, on_deadline,
// on_callback_threw, on_finished) and may have linger, on_drain and direct_input; the other
// optional hooks keep Session's defaults.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>

#include "engine/session.hpp"

namespace wsx::detail {

template <class Owner>
class OwnedSession final : public Session {
public:
    OwnedSession(net::Loop& loop, std::unique_ptr<net::Transport> transport, Owner& owner,
                 const SessionConfig& config)
        : Session(loop, std::move(transport)), owner_(owner), config_(config) {}

private:
    [[nodiscard]] const SessionConfig& session_config() const noexcept override { return config_; }

    void on_input(std::span<char> bytes) override { owner_.on_input(bytes); }

    void on_input_end() override { owner_.on_input_end(); }

    [[nodiscard]] const proto::OutputQueue& output() const noexcept override {
        return owner_.output();
    }

    void consume_output(std::size_t n) noexcept override { owner_.consume_output(n); }

    [[nodiscard]] bool protocol_over() const noexcept override { return owner_.protocol_over(); }

    [[nodiscard]] std::optional<net::TimeMs> deadline() const noexcept override {
        return owner_.deadline();
    }

    void on_deadline(net::TimeMs now) override { owner_.on_deadline(now); }

    void on_callback_threw(std::string_view what) override { owner_.on_callback_threw(what); }

    void on_finished(std::string_view why, std::error_code error) override {
        owner_.on_finished(why, error);
    }

    // The optional hooks: the owner's where it has one.
    [[nodiscard]] Linger linger() const noexcept override {
        if constexpr (requires(const Owner& o) { o.linger(); }) {
            return owner_.linger();
        } else {
            return Session::linger();
        }
    }

    [[nodiscard]] std::span<char> direct_input() override {
        if constexpr (requires(Owner & o) { o.direct_input(); }) {
            return owner_.direct_input();
        } else {
            return Session::direct_input();
        }
    }

    void on_drain() override {
        if constexpr (requires(Owner & o) { o.on_drain(); }) {
            owner_.on_drain();
        }
    }

    Owner& owner_;
    const SessionConfig& config_;
};

}  // namespace wsx::detail
