// hiredis on the wsx loop (see redis_link.hpp).
#include "pubsub/redis_link.hpp"

#include <utility>
#include <vector>

#include "wsx/net/log.hpp"

namespace wsx::detail {

namespace {

RedisLink& link(void* self) {
    return *static_cast<RedisLink*>(self);
}

// hiredis's reason: the context's own (set first), or the copy the async context keeps.
std::string error_of(const redisAsyncContext* ac, std::string_view otherwise) {
    if (ac != nullptr && ac->c.err != 0 && ac->c.errstr[0] != '\0') {
        return ac->c.errstr;
    }
    if (ac != nullptr && ac->err != 0 && ac->errstr != nullptr) {
        return ac->errstr;
    }
    return std::string(otherwise);
}

}  // namespace

RedisLink::RedisLink(net::Loop& loop, std::function<void()> on_connected,
                     std::function<void(const std::string& why)> on_lost)
    : loop_(loop), on_connected_(std::move(on_connected)), on_lost_(std::move(on_lost)) {}

RedisLink::~RedisLink() {
    close();
}

bool RedisLink::connect(const RedisEndpoint& endpoint, std::uint32_t timeout_ms, std::string& why) {
    close();
    closing_ = false;
    redisAsyncContext* ac = redisAsyncConnect(endpoint.host.c_str(), endpoint.port);
    if (ac == nullptr) {
        why = "out of memory";
        return false;
    }
    if (ac->err != 0) {
        why = error_of(ac, "connect failed");
        redisAsyncFree(ac);
        return false;
    }
    ac_ = ac;
    fd_ = ac->c.fd;
    ac->data = this;
    ac->ev.data = this;
    ac->ev.addRead = &RedisLink::add_read;
    ac->ev.delRead = &RedisLink::del_read;
    ac->ev.addWrite = &RedisLink::add_write;
    ac->ev.delWrite = &RedisLink::del_write;
    ac->ev.cleanup = &RedisLink::cleanup;
    (void)redisAsyncSetConnectCallback(ac, &RedisLink::connect_done);
    (void)redisAsyncSetDisconnectCallback(ac, &RedisLink::disconnected);
    set_interest(false, true);  // writable: the non-blocking connect is done, one way or another
    timeout_ = loop_.add_timer(timeout_ms, [this] {
        timeout_ = 0;
        if (!connected_) {
            close();
            lost("no answer in time");
        }
    });
    return true;
}

void RedisLink::close() noexcept {
    loop_.cancel_timer(timeout_);
    timeout_ = 0;
    if (ac_ != nullptr) {
        closing_ = true;
        connected_ = false;
        redisAsyncFree(ac_);  // cleanup() lets go of it (now, or when the callback returns)
    }
}

bool RedisLink::command(std::initializer_list<std::string_view> args, redisCallbackFn* fn,
                        void* data) {
    return command(std::vector<std::string_view>(args), fn, data);
}

bool RedisLink::command(const std::vector<std::string_view>& args, redisCallbackFn* fn,
                        void* data) {
    if (ac_ == nullptr || !connected_ || closing_) {
        return false;
    }
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (const std::string_view a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
    }
    return redisAsyncCommandArgv(ac_, fn, data, static_cast<int>(argv.size()), argv.data(),
                                 lengths.data())
           == REDIS_OK;
}

void RedisLink::on_io(bool readable, bool writable) {
    if (readable && ac_ != nullptr) {
        redisAsyncHandleRead(ac_);
    }
    if (writable && ac_ != nullptr) {
        redisAsyncHandleWrite(ac_);
    }
}

void RedisLink::set_interest(bool read, bool write) {
    if (fd_ < 0 || (registered_ && read == read_ && write == write_)) {
        return;
    }
    read_ = read;
    write_ = write;
    const net::Interest interest{.read = read, .write = write};
    const std::error_code ec =
            registered_ ? loop_.modify(fd_, interest, *this) : loop_.add(fd_, interest, *this);
    if (ec) {
        net::log_error("redis: epoll_ctl on the connection: ", ec.message());
        return;
    }
    registered_ = true;
}

void RedisLink::add_read(void* self) {
    link(self).set_interest(true, link(self).write_);
}

void RedisLink::del_read(void* self) {
    link(self).set_interest(false, link(self).write_);
}

void RedisLink::add_write(void* self) {
    link(self).set_interest(link(self).read_, true);
}

void RedisLink::del_write(void* self) {
    link(self).set_interest(link(self).read_, false);
}

void RedisLink::cleanup(void* self) {
    RedisLink& l = link(self);
    if (l.registered_) {
        l.loop_.remove(l.fd_);
    }
    l.registered_ = false;
    l.read_ = l.write_ = false;
    l.fd_ = -1;
    l.ac_ = nullptr;
}

void RedisLink::connect_done(const redisAsyncContext* ac, int status) {
    RedisLink& l = link(ac->data);
    l.loop_.cancel_timer(l.timeout_);
    l.timeout_ = 0;
    if (status != REDIS_OK) {
        l.lost(error_of(ac, "connect failed"));  // hiredis frees the context when this returns
        return;
    }
    l.connected_ = true;
    l.on_connected_();
}

void RedisLink::disconnected(const redisAsyncContext* ac, int status) {
    RedisLink& l = link(ac->data);
    const bool own = l.closing_;
    l.connected_ = false;
    if (!own) {
        l.lost(status == REDIS_OK ? std::string("closed") : error_of(ac, "connection lost"));
    }
}

void RedisLink::lost(const std::string& why) {
    connected_ = false;
    on_lost_(why);
}

}  // namespace wsx::detail
