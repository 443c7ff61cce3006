// The floor of bench/compare: a plain epoll TCP echo on 127.0.0.1, no WebSocket at all. What it
// reads it writes back; when the socket will not take it all, the rest waits in a per-connection
// buffer and reading stops until it drains. One thread. Usage: raw_echo PORT
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

struct Conn {
    std::string pending;  // bytes read but not yet written back (only while the socket is full)
};

std::vector<Conn*> conns;  // by fd
int ep = -1;

void drop(int fd) {
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    delete conns[fd];
    conns[fd] = nullptr;
}

void watch(int fd, std::uint32_t events, int op) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    epoll_ctl(ep, op, fd, &ev);
}

// Writes what is pending; true when all of it went out.
bool flush(int fd, Conn& c) {
    std::size_t off = 0;
    while (off < c.pending.size()) {
        const ssize_t n = send(fd, c.pending.data() + off, c.pending.size() - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN) {
                break;
            }
            return false;
        }
        off += static_cast<std::size_t>(n);
    }
    c.pending.erase(0, off);
    return true;
}

void on_readable(int fd, char* buf, std::size_t cap) {
    Conn& c = *conns[fd];
    for (;;) {
        const ssize_t n = recv(fd, buf, cap, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
            drop(fd);
            return;
        }
        if (n < 0) {
            return;
        }
        ssize_t off = 0;
        while (off < n) {
            const ssize_t w = send(fd, buf + off, static_cast<std::size_t>(n - off), MSG_NOSIGNAL);
            if (w < 0 && errno == EAGAIN) {
                c.pending.assign(buf + off, static_cast<std::size_t>(n - off));
                watch(fd, EPOLLOUT, EPOLL_CTL_MOD);  // stop reading until it drains
                return;
            }
            if (w < 0) {
                drop(fd);
                return;
            }
            off += w;
        }
        if (static_cast<std::size_t>(n) < cap) {
            return;
        }
    }
}

void on_writable(int fd) {
    Conn& c = *conns[fd];
    if (!flush(fd, c)) {
        drop(fd);
        return;
    }
    if (c.pending.empty()) {
        c.pending.shrink_to_fit();
        watch(fd, EPOLLIN, EPOLL_CTL_MOD);
    }
}

void accept_all(int listener) {
    for (;;) {
        const int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            return;
        }
        const int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (static_cast<std::size_t>(fd) >= conns.size()) {
            conns.resize(static_cast<std::size_t>(fd) * 2 + 64, nullptr);
        }
        conns[fd] = new Conn;
        watch(fd, EPOLLIN, EPOLL_CTL_ADD);
    }
}

int listen_on(int port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 4096) != 0) {
        std::perror("raw_echo: bind/listen");
        std::exit(1);
    }
    return fd;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: raw_echo PORT\n");
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN);
    const int listener = listen_on(std::atoi(argv[1]));
    ep = epoll_create1(EPOLL_CLOEXEC);
    watch(listener, EPOLLIN, EPOLL_CTL_ADD);
    std::printf("raw_echo ready on 127.0.0.1:%s\n", argv[1]);
    std::fflush(stdout);
    std::vector<char> buf(256 * 1024);
    std::vector<epoll_event> events(512);
    for (;;) {
        const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
        for (int i = 0; i < n; ++i) {
            const int fd = events[i].data.fd;
            if (fd == listener) {
                accept_all(listener);
            } else if (conns[fd] != nullptr && (events[i].events & EPOLLOUT) != 0) {
                on_writable(fd);
            } else if (conns[fd] != nullptr) {
                on_readable(fd, buf.data(), buf.size());
            }
        }
    }
}
