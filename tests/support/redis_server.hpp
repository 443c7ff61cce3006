// A real redis-server (Debian's) for tests: started on a free loopback port with no
// persistence, answered PING before the constructor returns, killed (SIGKILL) and reaped by the
// destructor. It can be killed and started again on the same port, or stopped (SIGSTOP) and let
// go on, to play a Redis that fails; a hiredis connection of the test's own asks it questions.
#pragma once

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace wsx::test {

class RedisServer {
public:
    RedisServer() {
        for (int attempt = 0; attempt < 5 && !up_; ++attempt) {
            port_ = free_port();
            up_ = start();
        }
    }

    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    ~RedisServer() { kill(); }

    [[nodiscard]] bool up() const noexcept { return up_; }

    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

    [[nodiscard]] std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

    /// Starts it (again) on the same port; true once it answers PING (within 10 s).
    bool start() {
        kill();
        const std::string port = std::to_string(port_);
        std::vector<std::string> args{
                "redis-server", "--port", port,         "--bind",  "127.0.0.1",        "--save", "",
                "--appendonly", "no",     "--loglevel", "warning", "--protected-mode", "no"};
        std::vector<char*> argv;
        argv.reserve(args.size() + 1);
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        const int rc = posix_spawn(&pid_, "/usr/bin/redis-server", &actions, nullptr, argv.data(),
                                   environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) {
            pid_ = -1;
            return false;
        }
        for (int i = 0; i < 200; ++i) {
            if (command({"PING"}) == "PONG") {
                up_ = true;
                return true;
            }
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;  // it exited: the port was taken, say
                return false;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }

    void kill() {
        if (pid_ > 0) {
            ::kill(pid_, SIGCONT);
            ::kill(pid_, SIGKILL);
            int status = 0;
            while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
            }
        }
        pid_ = -1;
        up_ = false;
    }

    void pause() const { ::kill(pid_, SIGSTOP); }

    void resume() const { ::kill(pid_, SIGCONT); }

    /// One command on a connection of its own: the reply as text (an integer in decimal, an
    /// error as "ERR ..."), "" if there was no answer within 1 s.
    [[nodiscard]] std::string command(const std::vector<std::string>& args) const {
        const timeval timeout{1, 0};
        redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, timeout);
        if (c == nullptr || c->err != 0) {
            if (c != nullptr) {
                redisFree(c);
            }
            return "";
        }
        (void)redisSetTimeout(c, timeout);
        std::vector<const char*> argv;
        std::vector<std::size_t> lengths;
        for (const auto& a : args) {
            argv.push_back(a.data());
            lengths.push_back(a.size());
        }
        auto* r = static_cast<redisReply*>(
                redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data()));
        std::string out;
        if (r != nullptr) {
            if (r->type == REDIS_REPLY_INTEGER) {
                out = std::to_string(r->integer);
            } else if (r->type == REDIS_REPLY_ARRAY && r->elements == 2
                       && r->element[1]->type == REDIS_REPLY_INTEGER) {
                out = std::to_string(r->element[1]->integer);  // PUBSUB NUMSUB one channel
            } else if (r->str != nullptr) {
                out.assign(r->str, r->len);
            }
            freeReplyObject(r);
        }
        redisFree(c);
        return out;
    }

    /// Subscribers of `channel` (nodes, for wsx), as Redis counts them.
    [[nodiscard]] int numsub(const std::string& channel) const {
        const std::string n = command({"PUBSUB", "NUMSUB", channel});
        return n.empty() ? -1 : std::stoi(n);
    }

    /// Polls until `channel` has `n` subscribers (bounded: 10 s).
    [[nodiscard]] bool wait_numsub(const std::string& channel, int n) const {
        for (int i = 0; i < 200; ++i) {
            if (numsub(channel) == n) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }

private:
    static std::uint16_t free_port() {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        // NOLINTBEGIN(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
        (void)::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        (void)::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
        // NOLINTEND(cppcoreguidelines-pro-type-reinterpret-cast)
        ::close(fd);
        return ntohs(addr.sin_port);
    }

    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
    bool up_ = false;
};

}  // namespace wsx::test
