// Staggered connecting against loopback listeners. Bounded: each test runs the loop for at most
// a few seconds; none needs a particular timing to pass (a refused connect that is slow to fail
// only means the next address starts after the attempt delay instead of at once).
#include "wsx/net/connector.hpp"

#include <memory>
#include <optional>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "wsx/net/errc.hpp"
#include "wsx/net/tcp.hpp"

#include "support/make_loop.hpp"

namespace wsx::net {
namespace {

constexpr TimeMs kHour = 3'600'000;

using test::make_loop;

// A loopback listener; the kernel completes connects to it without an accept().
struct Listener {
    UniqueFd fd;
    SocketAddress addr;
};

Listener listen_loopback() {
    auto any = resolve_listen("127.0.0.1", 0);
    EXPECT_TRUE(any);
    auto fd = listen_tcp(any->front(), 16);
    EXPECT_TRUE(fd);
    auto bound = local_address(fd->get());
    EXPECT_TRUE(bound);
    return {std::move(*fd), *bound};
}

// An address nothing listens on: a listener's, closed again.
SocketAddress refused_address() {
    return listen_loopback().addr;
}

std::uint16_t peer_port(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
        return 0;
    }
    return SocketAddress(reinterpret_cast<sockaddr*>(&ss), len).port();
}

// Collects what `done` reports; counts calls.
struct Outcome {
    int calls = 0;
    std::optional<Result<UniqueFd>> result;

    Connector::Done done() {
        return [this](Result<UniqueFd> r) {
            ++calls;
            result.emplace(std::move(r));
        };
    }
};

// Runs `loop` until `outcome` has a result, or about 5 s.
void run_until_done(Loop& loop, const Outcome& outcome) {
    for (int i = 0; i < 100 && outcome.calls == 0; ++i) {
        loop.run_once(50);
    }
}

TEST(Connector, ARefusedAddressThenAGoodOneConnectsToTheGoodOne) {
    auto loop = make_loop();
    const Listener good = listen_loopback();
    Connector connector(*loop);
    Outcome out;
    connector.start({refused_address(), good.addr}, out.done());
    EXPECT_EQ(out.calls, 0);  // never from inside start()
    EXPECT_TRUE(connector.connecting());
    run_until_done(*loop, out);
    ASSERT_EQ(out.calls, 1);
    ASSERT_TRUE(*out.result) << out.result->error().message();
    EXPECT_EQ(peer_port(out.result->value().get()), good.addr.port());
    EXPECT_TRUE(connector.last_error() == std::errc::connection_refused)
            << connector.last_error().message();
    EXPECT_FALSE(connector.connecting());
    EXPECT_EQ(connector.attempts_in_flight(), 0U);
}

TEST(Connector, EveryAddressRefusedReportsTheLastError) {
    auto loop = make_loop();
    Connector connector(*loop);
    Outcome out;
    connector.start({refused_address(), refused_address()}, out.done());
    run_until_done(*loop, out);
    ASSERT_EQ(out.calls, 1);
    ASSERT_FALSE(*out.result);
    EXPECT_TRUE(out.result->error() == std::errc::connection_refused)
            << out.result->error().message();
}

TEST(Connector, NoAddressesIsReportedFromTheLoop) {
    auto loop = make_loop();
    Connector connector(*loop);
    Outcome out;
    connector.start({}, out.done());
    EXPECT_EQ(out.calls, 0);
    loop->run_once(0);
    ASSERT_EQ(out.calls, 1);
    EXPECT_EQ(out.result->error(), make_error_code(Errc::no_address));
}

// RFC 8305 §5: the next attempt starts only after the Connection Attempt Delay.
TEST(Connector, TheNextAddressWaitsForTheAttemptDelay) {
    auto loop = make_loop();
    const Listener first = listen_loopback();
    const Listener second = listen_loopback();
    Connector connector(*loop, kHour);
    Outcome out;
    connector.start({first.addr, second.addr}, out.done());
    EXPECT_EQ(connector.attempts_in_flight(), 1U);
    run_until_done(*loop, out);
    ASSERT_TRUE(out.result && *out.result);
    EXPECT_EQ(peer_port(out.result->value().get()), first.addr.port());
    EXPECT_EQ(loop->timer_count(), 0U);  // the delay timer left with the win
}

TEST(Connector, TheFirstToConnectWinsAndTheOthersAreDropped) {
    auto loop = make_loop();
    const Listener a = listen_loopback();
    const Listener b = listen_loopback();
    const Listener c = listen_loopback();
    Connector connector(*loop, 0);  // every attempt at once
    Outcome out;
    connector.start({a.addr, b.addr, c.addr}, out.done());
    run_until_done(*loop, out);
    for (int i = 0; i < 5; ++i) {
        loop->run_once(10);  // the losers' events, if any, must not report again
    }
    ASSERT_EQ(out.calls, 1);
    ASSERT_TRUE(*out.result);
    const std::uint16_t port = peer_port(out.result->value().get());
    EXPECT_TRUE(port == a.addr.port() || port == b.addr.port() || port == c.addr.port());
    EXPECT_EQ(connector.attempts_in_flight(), 0U);
}

TEST(Connector, CancelledItNeverReports) {
    auto loop = make_loop();
    const Listener good = listen_loopback();
    Connector connector(*loop);
    Outcome out;
    connector.start({good.addr, refused_address()}, out.done());
    connector.cancel();
    EXPECT_FALSE(connector.connecting());
    EXPECT_EQ(connector.attempts_in_flight(), 0U);
    EXPECT_EQ(loop->timer_count(), 0U);
    for (int i = 0; i < 5; ++i) {
        loop->run_once(10);
    }
    EXPECT_EQ(out.calls, 0);
}

TEST(Connector, StartingAgainCancelsTheFirstRun) {
    auto loop = make_loop();
    const Listener good = listen_loopback();
    Connector connector(*loop);
    Outcome first, second;
    connector.start({good.addr}, first.done());
    connector.start({good.addr}, second.done());
    run_until_done(*loop, second);
    EXPECT_EQ(first.calls, 0);
    ASSERT_EQ(second.calls, 1);
    EXPECT_TRUE(*second.result);
}

TEST(Connector, DoneMayDestroyTheConnector) {
    auto loop = make_loop();
    const Listener a = listen_loopback();
    const Listener b = listen_loopback();
    auto connector = std::make_unique<Connector>(*loop, 0);
    int calls = 0;
    connector->start({a.addr, b.addr}, [&](Result<UniqueFd> r) {
        ++calls;
        EXPECT_TRUE(r);
        connector.reset();
    });
    for (int i = 0; i < 100 && connector; ++i) {
        loop->run_once(50);
    }
    for (int i = 0; i < 5; ++i) {
        loop->run_once(10);
    }
    EXPECT_EQ(calls, 1);
    EXPECT_FALSE(connector);
}

}  // namespace
}  // namespace wsx::net

namespace wsx::net {
namespace {

// Connects to a loopback listener from `local`; returns what the connector reported.
Result<UniqueFd> connect_from(const char* local) {
    auto loop = test::make_loop();
    const Listener server = listen_loopback();
    auto from = resolve_host(local, 0);
    EXPECT_TRUE(from);
    Connector connector(*loop);
    connector.set_local_address(from->front());
    Outcome outcome;
    connector.start({server.addr}, outcome.done());
    run_until_done(*loop, outcome);
    EXPECT_TRUE(outcome.result);
    return outcome.result ? std::move(*outcome.result)
                          : Result<UniqueFd>(make_error_code(Errc::connect_timeout));
}

TEST(Connector, BindsToTheLocalAddressGiven) {
    auto fd = connect_from("127.0.0.3");
    ASSERT_TRUE(fd);
    auto from = local_address(fd->get());
    ASSERT_TRUE(from);
    EXPECT_EQ(from->host(), "127.0.0.3");
    EXPECT_NE(from->port(), 0);
}

TEST(Connector, ALocalAddressThatCannotBeBoundIsTheError) {
    auto fd = connect_from("192.0.2.1");  // TEST-NET-1: not an address of this machine
    ASSERT_FALSE(fd);
    EXPECT_EQ(fd.error(), std::errc::address_not_available);
}

}  // namespace
}  // namespace wsx::net
