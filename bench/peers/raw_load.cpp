// The load generator of bench/compare's raw TCP cells (raw_echo cannot answer a WebSocket
// handshake, so `wsx bench` cannot drive it). Plain TCP, one epoll thread, the same shapes:
//   raw_load echo URL -c C -d D -s S -t T --warmup W   each connection keeps D "messages" in
//   flight,
//       each the bytes a masked client frame of S payload bytes carries (S + 6 for S <= 125, + 8
//       for S <= 65535, + 14 above), and counts one message per frame's worth of bytes echoed back;
//       every echoed byte is compared with what was sent
//   raw_load connect URL -c N --concurrency K   connect, write a handshake-sized request, read it
//       back, close: N of them, K at a time
//   raw_load idle URL -c N --hold S --server-pid P   as connect, but the N stay open S seconds
// and prints one JSON object with the keys bench/compare reads (received, msgs_per_s, ...).
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

struct Options {
    std::string mode;
    int port = 0;
    std::size_t conns = 100, depth = 1, size = 32, concurrency = 200;
    double time_s = 5, warmup_s = 1, hold_s = 5;
    int server_pid = 0;
};

struct Conn {
    int fd = -1;
    std::size_t owed = 0;      // bytes still to send
    std::size_t send_off = 0;  // position in the periodic stream (mod frame size)
    std::size_t recv_off = 0;
    std::size_t in_flight = 0;  // bytes sent and not yet echoed
    bool out_watched = false;
    bool open = false;  // connect/idle: the exchange completed
};

struct Stats {
    std::uint64_t sent = 0, received = 0, measured = 0, mismatches = 0, errors = 0, opened = 0;
};

Options opt;
Stats stats;
std::string stream;  // the frame repeated to at least 256 KiB
std::size_t frame_size = 0;
int ep = -1;
bool sending = true;
bool measuring = false;

double now_s() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

void usage() {
    std::fprintf(stderr,
                 "usage: raw_load echo|connect|idle ws://127.0.0.1:PORT/ [-c N] [-d D] [-s S] "
                 "[-t T] [--warmup W] [--concurrency K] [--hold S] [--server-pid P] [--json]\n");
    std::exit(2);
}

void parse(int argc, char** argv) {
    if (argc < 3) {
        usage();
    }
    opt.mode = argv[1];
    const char* colon = std::strrchr(argv[2], ':');
    opt.port = colon != nullptr ? std::atoi(colon + 1) : 0;
    for (int i = 3; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--json" || a == "--text") {
            continue;
        }
        if (i + 1 >= argc) {
            usage();
        }
        const char* v = argv[++i];
        if (a == "-c") {
            opt.conns = std::strtoull(v, nullptr, 10);
        } else if (a == "-d") {
            opt.depth = std::strtoull(v, nullptr, 10);
        } else if (a == "-s") {
            opt.size = std::strtoull(v, nullptr, 10);
        } else if (a == "-t") {
            opt.time_s = std::atof(v);
        } else if (a == "--warmup") {
            opt.warmup_s = std::atof(v);
        } else if (a == "--concurrency") {
            opt.concurrency = std::strtoull(v, nullptr, 10);
        } else if (a == "--hold") {
            opt.hold_s = std::atof(v);
        } else if (a == "--server-pid") {
            opt.server_pid = std::atoi(v);
        } else if (a != "--threads") {
            usage();
        }
    }
    if (opt.port <= 0 || (opt.mode != "echo" && opt.mode != "connect" && opt.mode != "idle")) {
        usage();
    }
}

// The bytes of one masked client frame carrying `size` payload bytes (the payload a pattern).
std::string make_frame(std::size_t size) {
    std::string f;
    f.push_back(static_cast<char>(0x82));
    if (size <= 125) {
        f.push_back(static_cast<char>(0x80 | size));
    } else if (size <= 65535) {
        f.push_back(static_cast<char>(0x80 | 126));
        f.push_back(static_cast<char>(size >> 8));
        f.push_back(static_cast<char>(size & 0xff));
    } else {
        f.push_back(static_cast<char>(0x80 | 127));
        for (int shift = 56; shift >= 0; shift -= 8) {
            f.push_back(static_cast<char>((size >> shift) & 0xff));
        }
    }
    f.append("\x11\x22\x33\x44");
    for (std::size_t i = 0; i < size; ++i) {
        f.push_back(static_cast<char>('a' + i % 26));
    }
    return f;
}

void set_out(Conn& c, bool on) {
    if (c.out_watched == on) {
        return;
    }
    c.out_watched = on;
    epoll_event ev{};
    ev.events = EPOLLIN | (on ? EPOLLOUT : 0);
    ev.data.ptr = &c;
    epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
}

void fail(Conn& c) {
    ++stats.errors;
    epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    c.fd = -1;
    c.in_flight = c.owed = 0;
}

void flush(Conn& c) {
    while (c.owed > 0) {
        const std::size_t off = c.send_off % frame_size;
        const std::size_t len = std::min(c.owed, stream.size() - off);
        const ssize_t n = send(c.fd, stream.data() + off, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EAGAIN) {
            set_out(c, true);
            return;
        }
        if (n <= 0) {
            fail(c);
            return;
        }
        const auto sent = static_cast<std::size_t>(n);
        c.owed -= sent;
        c.in_flight += sent;
        c.send_off = (c.send_off + sent) % frame_size;
    }
    set_out(c, false);
}

// Compares what came back with the stream and counts whole frames' worth as messages.
void on_bytes(Conn& c, const char* data, std::size_t n) {
    c.in_flight -= std::min(n, c.in_flight);
    while (n > 0) {
        const std::size_t len = std::min(n, frame_size - c.recv_off);
        if (std::memcmp(data, stream.data() + c.recv_off, len) != 0) {
            ++stats.mismatches;
        }
        c.recv_off += len;
        data += len;
        n -= len;
        if (c.recv_off == frame_size) {
            c.recv_off = 0;
            ++stats.received;
            stats.measured += measuring ? 1 : 0;
            if (opt.mode == "echo" && sending) {
                c.owed += frame_size;
                ++stats.sent;
            } else if (opt.mode != "echo") {
                c.open = true;
            }
        }
    }
}

void on_event(Conn& c, std::uint32_t events, char* buf, std::size_t cap) {
    if ((events & EPOLLOUT) != 0) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            fail(c);
            return;
        }
        flush(c);
    }
    while (c.fd >= 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
        const ssize_t n = recv(c.fd, buf, cap, 0);
        if (n < 0 && errno == EAGAIN) {
            break;
        }
        if (n <= 0) {
            fail(c);
            return;
        }
        on_bytes(c, buf, static_cast<std::size_t>(n));
        if (static_cast<std::size_t>(n) < cap) {
            break;
        }
    }
    if (c.fd >= 0 && c.owed > 0 && !c.out_watched) {
        flush(c);
    }
}

bool open_conn(Conn& c, std::size_t first_bytes) {
    c = Conn{};
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
        ++stats.errors;
        return false;
    }
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(opt.port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0
        && errno != EINPROGRESS) {
        close(c.fd);
        c.fd = -1;
        ++stats.errors;
        return false;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.ptr = &c;
    epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    c.out_watched = true;
    c.owed = first_bytes;
    return true;
}

template <typename Done>
void loop(std::vector<Conn>& conns, double deadline, Done done) {
    std::vector<epoll_event> events(1024);
    std::vector<char> buf(256 * 1024);
    while (!done() && now_s() < deadline) {
        const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 5);
        for (int i = 0; i < n; ++i) {
            on_event(*static_cast<Conn*>(events[i].data.ptr), events[i].events, buf.data(),
                     buf.size());
        }
    }
    (void)conns;
}

void run_echo() {
    std::vector<Conn> conns(opt.conns);
    for (auto& c : conns) {
        if (open_conn(c, opt.depth * frame_size)) {
            stats.sent += opt.depth;
        }
    }
    const double start = now_s();
    loop(conns, start + opt.warmup_s, [] { return false; });
    measuring = true;
    const double t0 = now_s();
    loop(conns, t0 + opt.time_s, [] { return false; });
    const double t1 = now_s();
    measuring = false;
    sending = false;
    loop(conns, t1 + 10, [&] {
        for (const auto& c : conns) {
            if (c.fd >= 0 && (c.owed > 0 || c.in_flight > 0)) {
                return false;
            }
        }
        return true;
    });
    std::printf(
            "{\"mode\":\"echo\",\"sent\":%llu,\"received\":%llu,\"messages\":%llu,"
            "\"msgs_per_s\":%.1f,\"mb_per_s\":%.3f,\"mismatches\":%llu,\"errors\":%llu}\n",
            static_cast<unsigned long long>(stats.sent),
            static_cast<unsigned long long>(stats.received),
            static_cast<unsigned long long>(stats.measured), stats.measured / (t1 - t0),
            stats.measured * static_cast<double>(opt.size) / (t1 - t0) / 1e6,
            static_cast<unsigned long long>(stats.mismatches),
            static_cast<unsigned long long>(stats.errors));
}

long long rss_of(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string key;
    long long kb = 0;
    while (in >> key) {
        if (key == "VmRSS:" && in >> kb) {
            return kb * 1024;
        }
    }
    return -1;
}

// connect and idle: N connections, K opening at a time, each exchanging one request-sized echo.
void run_connections() {
    constexpr std::size_t request = 170;  // about what `wsx bench` sends as its handshake
    frame_size = request;
    stream.assign(request, 'h');
    const bool hold = opt.mode == "idle";
    const long long rss_before = opt.server_pid > 0 ? rss_of(opt.server_pid) : -1;
    std::vector<Conn> conns(opt.conns);
    std::size_t next = 0, active = 0, done = 0;
    const double start = now_s();
    std::vector<epoll_event> events(1024);
    std::vector<char> buf(4096);
    while (done < opt.conns && now_s() < start + 60) {
        while (active < opt.concurrency && next < opt.conns) {
            if (open_conn(conns[next++], request)) {
                ++active;
            } else {
                ++done;
            }
        }
        const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 5);
        for (int i = 0; i < n; ++i) {
            Conn& c = *static_cast<Conn*>(events[i].data.ptr);
            on_event(c, events[i].events, buf.data(), buf.size());
            if (c.fd < 0 || c.open) {
                --active;
                ++done;
                stats.opened += c.open ? 1 : 0;
                if (c.fd >= 0) {
                    epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
                }
                if (c.fd >= 0 && !hold) {
                    close(c.fd);
                    c.fd = -1;
                }
            }
        }
    }
    const double elapsed = now_s() - start;
    long long rss_after = -1;
    if (hold) {
        usleep(static_cast<useconds_t>(opt.hold_s * 1e6));
        rss_after = opt.server_pid > 0 ? rss_of(opt.server_pid) : -1;
    }
    const long long per = rss_before >= 0 && rss_after >= 0 && stats.opened > 0
                                  ? (rss_after - rss_before) / static_cast<long long>(stats.opened)
                                  : -1;
    std::printf(
            "{\"mode\":\"%s\",\"opened\":%llu,\"held\":%llu,\"handshakes_per_s\":%.1f,"
            "\"rss_before\":%lld,\"rss_after\":%lld,\"rss_per_connection\":%lld,\"errors\":%llu,"
            "\"mismatches\":%llu}\n",
            opt.mode.c_str(), static_cast<unsigned long long>(stats.opened),
            static_cast<unsigned long long>(hold ? stats.opened : 0), stats.opened / elapsed,
            rss_before, rss_after, per, static_cast<unsigned long long>(stats.errors),
            static_cast<unsigned long long>(stats.mismatches));
    for (auto& c : conns) {
        if (c.fd >= 0) {
            close(c.fd);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    parse(argc, argv);
    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (opt.mode == "echo") {
        const std::string frame = make_frame(opt.size);
        frame_size = frame.size();
        while (stream.size() < 256 * 1024 || stream.size() < opt.depth * frame_size + frame_size) {
            stream += frame;
        }
        run_echo();
    } else {
        run_connections();
    }
    std::fflush(stdout);
    return stats.mismatches > 0 || stats.errors > 0 ? 1 : 0;
}
