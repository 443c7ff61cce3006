// One hiredis asynchronous connection on a wsx loop. hiredis asks for read and write interest
// through its event hooks; they become the loop's interest in the socket, and the loop's
// readiness becomes redisAsyncHandleRead/Write. hiredis frees a context it has lost on its own:
// its cleanup hook is where this link lets go of it. Rule: the loop thread's only; commands are
// binary-safe argument lists.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>

#include <hiredis/async.h>

#include "wsx/net/loop.hpp"
#include "wsx/redis_broker.hpp"

namespace wsx::detail {

class RedisLink final : public net::IoHandler {
public:
    /// `on_connected` when the connection is up; `on_lost` when it fails to come up (a refusal,
    /// the timeout) or goes away, with the reason: never for a close() of this link's own.
    RedisLink(net::Loop& loop, std::function<void()> on_connected,
              std::function<void(const std::string& why)> on_lost);
    RedisLink(const RedisLink&) = delete;
    RedisLink& operator=(const RedisLink&) = delete;
    ~RedisLink();

    /// Starts connecting; false with the reason if hiredis could not even begin.
    [[nodiscard]] bool connect(const RedisEndpoint& endpoint, std::uint32_t timeout_ms,
                               std::string& why);

    /// Lets the connection go now (from a hiredis callback: when it returns). The callbacks of
    /// commands still waiting run with no reply.
    void close() noexcept;

    [[nodiscard]] bool connected() const noexcept { return connected_; }

    /// Queues a command; false when not connected (or hiredis refused it).
    bool command(std::initializer_list<std::string_view> args, redisCallbackFn* fn, void* data);
    bool command(const std::vector<std::string_view>& args, redisCallbackFn* fn, void* data);

    void on_io(bool readable, bool writable) override;

private:
    static void add_read(void* self);
    static void del_read(void* self);
    static void add_write(void* self);
    static void del_write(void* self);
    static void cleanup(void* self);
    static void connect_done(const redisAsyncContext* ac, int status);
    static void disconnected(const redisAsyncContext* ac, int status);

    void set_interest(bool read, bool write);
    void lost(const std::string& why);

    net::Loop& loop_;
    std::function<void()> on_connected_;
    std::function<void(const std::string&)> on_lost_;
    redisAsyncContext* ac_ = nullptr;
    int fd_ = -1;
    bool registered_ = false;
    bool read_ = false;
    bool write_ = false;
    bool connected_ = false;
    bool closing_ = false;  // close() of our own: no on_lost
    net::TimerId timeout_ = 0;
};

}  // namespace wsx::detail
