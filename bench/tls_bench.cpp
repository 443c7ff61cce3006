// TLS costs at the transport, over a Unix socketpair in one thread (no network, no scheduler
// between the two ends): full handshakes per second (server and client work together, ECDSA
// P-256 certificates from tests/support/make_test_certs.sh), and one message's round trip through
// TlsTransport against TcpTransport (write, read on the other end, write back, read).
//   build/bench/tls_bench --benchmark_min_time=0.5
#include "wsx/net/tls.hpp"

#include <array>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wsx/net/tcp.hpp"

namespace {

using namespace wsx::net;

struct Certs {
    std::string dir = "/tmp/wsx-tls-bench-" + std::to_string(::getpid());

    Certs() {
        const std::string cmd = std::string("sh ") + MAKE_TEST_CERTS + " " + dir;
        if (std::system(cmd.c_str()) != 0) {
            std::abort();
        }
    }

    ~Certs() { std::filesystem::remove_all(dir); }

    Certs(const Certs&) = delete;
    Certs& operator=(const Certs&) = delete;

    [[nodiscard]] std::string path(const char* name) const { return dir + "/" + name; }
};

const Certs& certs() {
    static const Certs kCerts;
    return kCerts;
}

std::shared_ptr<TlsServer> make_server() {
    TlsServerConfig c;
    c.certificates.push_back({certs().path("server.pem"), certs().path("server.key")});
    c.ktls = false;
    return *TlsServer::create(c);
}

std::shared_ptr<TlsClient> make_client() {
    return *TlsClient::create({.ca_file = certs().path("ca.pem")});
}

std::array<int, 2> socket_pair() {
    std::array<int, 2> fds{};
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds.data()) != 0) {
        std::abort();
    }
    return fds;
}

void pump_handshake(TlsTransport& server, TlsTransport& client) {
    std::array<char, 64> buf{};
    for (int i = 0; i < 100 && !(server.established() && client.established()); ++i) {
        (void)client.write({});
        (void)server.read(buf);
        (void)client.read(buf);
    }
    if (!server.established() || !client.established()) {
        std::abort();
    }
}

void tls_handshake(benchmark::State& state) {
    auto server = make_server();
    auto client = make_client();
    for (auto _ : state) {
        const auto fds = socket_pair();
        auto s = server->accept(UniqueFd(fds[0]));
        auto c = client->connect(UniqueFd(fds[1]), "localhost");
        pump_handshake(**s, **c);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

BENCHMARK(tls_handshake)->Unit(benchmark::kMicrosecond);

// Moves `msg` from `from` to `to` whole.
void carry(Transport& from, Transport& to, const std::string& msg, std::string& buf) {
    std::size_t sent = 0;
    std::size_t got = 0;
    while (got < msg.size()) {
        if (sent < msg.size()) {
            const std::array<std::string_view, 1> v{std::string_view(msg).substr(sent)};
            const IoResult w = from.write(v);
            sent += w.ok() ? w.bytes : 0;
        }
        const IoResult r = to.read(std::span<char>(buf.data(), buf.size()));
        got += r.ok() ? r.bytes : 0;
    }
}

void round_trips(benchmark::State& state, Transport& a, Transport& b) {
    const std::string msg(static_cast<std::size_t>(state.range(0)), 'm');
    std::string buf(256 * 1024, '\0');
    for (auto _ : state) {
        carry(a, b, msg, buf);
        carry(b, a, msg, buf);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 2 * state.range(0));
}

void tcp_round_trip(benchmark::State& state) {
    const auto fds = socket_pair();
    TcpTransport a{UniqueFd(fds[0])};
    TcpTransport b{UniqueFd(fds[1])};
    round_trips(state, a, b);
}

void tls_round_trip(benchmark::State& state) {
    auto server = make_server();
    auto client = make_client();
    const auto fds = socket_pair();
    auto s = server->accept(UniqueFd(fds[0]));
    auto c = client->connect(UniqueFd(fds[1]), "localhost");
    pump_handshake(**s, **c);
    round_trips(state, **c, **s);
}

BENCHMARK(tcp_round_trip)->Arg(64)->Arg(1024)->Arg(16 * 1024)->Arg(256 * 1024);
BENCHMARK(tls_round_trip)->Arg(64)->Arg(1024)->Arg(16 * 1024)->Arg(256 * 1024);

}  // namespace

BENCHMARK_MAIN();
