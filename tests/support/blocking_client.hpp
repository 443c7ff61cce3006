// A deliberately simple blocking WebSocket client for server tests: real TCP on loopback, every
// read bounded by a receive timeout so a broken server fails the test instead of hanging it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "wsx/proto/message_reader.hpp"

#include "support/echo_harness.hpp"

namespace wsx::test {

class BlockingClient {
public:
    explicit BlockingClient(std::uint16_t port, int timeout_ms = 5000, bool ipv6 = false) {
        fd_ = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
        timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (ipv6) {
            sockaddr_in6 addr{};
            addr.sin6_family = AF_INET6;
            addr.sin6_port = htons(port);
            addr.sin6_addr = in6addr_loopback;
            connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
            return;
        }
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    }

    ~BlockingClient() { ::close(fd_); }

    BlockingClient(const BlockingClient&) = delete;
    BlockingClient& operator=(const BlockingClient&) = delete;

    [[nodiscard]] bool connected() const { return connected_; }

    [[nodiscard]] int fd() const { return fd_; }

    bool send_all(std::string_view bytes) {
        while (!bytes.empty()) {
            const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n <= 0) {
                return false;
            }
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    /// Sends a request head and returns the response head ("" on timeout or EOF).
    std::string handshake(const std::string& path = "/echo", const std::string& extra = "") {
        send_all("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n");
        std::string head;
        char c = 0;
        while (head.find("\r\n\r\n") == std::string::npos && ::recv(fd_, &c, 1, 0) == 1) {
            head.push_back(c);
        }
        return head;
    }

    /// Reads until `count` frames are decoded, EOF or the timeout; returns them described as in
    /// decode_server_output().
    std::vector<std::string> read_frames(std::size_t count) {
        std::vector<std::string> frames;
        while (frames.size() < count) {
            ReadItemOrEof r = next();
            if (r.eof) {
                frames.push_back("eof");
                break;
            }
            frames.push_back(r.text);
        }
        return frames;
    }

    void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

    /// True when the server closed the TCP connection (read returns 0) before the timeout.
    bool read_until_eof() {
        char buf[4096];
        for (;;) {
            const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n == 0) {
                return true;
            }
            if (n < 0) {
                return false;
            }
        }
    }

private:
    struct ReadItemOrEof {
        bool eof = false;
        std::string text;
    };

    ReadItemOrEof next() {
        for (;;) {
            std::span<char> in(pending_);
            proto::ReadItem item = reader_.next(in);
            const std::size_t used = pending_.size() - in.size();
            std::string text;
            using K = proto::ReadItem::Kind;
            if (item.kind == K::message) {
                text = item.type == proto::MessageType::text
                               ? "text:" + std::string(item.data)
                               : "binary:" + std::to_string(item.data.size());
            } else if (item.kind == K::ping) {
                text = "ping:" + std::string(item.data);
            } else if (item.kind == K::pong) {
                text = "pong:" + std::string(item.data);
            } else if (item.kind == K::close) {
                auto p = proto::parse_close_payload(item.data);
                text = p ? "close:" + std::to_string(p->code) : "close:malformed";
            } else if (item.kind == K::error) {
                return {false, "undecodable"};
            }
            pending_.erase(0, used);
            if (!text.empty()) {
                return {false, text};
            }
            char buf[65536];
            const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) {
                return {true, {}};
            }
            pending_.append(buf, static_cast<std::size_t>(n));
        }
    }

    int fd_ = -1;
    bool connected_ = false;
    std::string pending_;
    proto::MessageReader reader_{proto::Role::client, std::size_t{1} << 30};
};

}  // namespace wsx::test
