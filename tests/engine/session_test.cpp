// The connection engine alone: a Session over one end of a socket pair, its owner a small
// recording stand-in for a protocol object, the other end driven by the test. Checks reading,
// writing, watermarks, lingering, deadlines and the one exception wrapper. Every wait bounded.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wsx/net/loop.hpp"
#include "wsx/net/tcp.hpp"

#include "engine/owned_session.hpp"

namespace wsx::detail {
namespace {

struct Owner final {
    proto::OutputQueue out;
    std::string received;
    bool over = false;
    Linger how = Linger::fin_then_wait;
    std::optional<net::TimeMs> due;
    int deadlines = 0;
    int drains = 0;
    int input_ends = 0;
    std::string threw;
    bool finished = false;
    std::string why;

    void on_input(std::span<char> bytes) { received.append(bytes.data(), bytes.size()); }

    void on_input_end() { ++input_ends; }

    [[nodiscard]] const proto::OutputQueue& output() const noexcept { return out; }

    void consume_output(std::size_t n) noexcept { out.consume(n); }

    [[nodiscard]] bool protocol_over() const noexcept { return over; }

    [[nodiscard]] Linger linger() const noexcept { return how; }

    [[nodiscard]] std::optional<net::TimeMs> deadline() const noexcept { return due; }

    void on_deadline(net::TimeMs) {
        ++deadlines;
        due.reset();
    }

    void on_drain() { ++drains; }

    void on_callback_threw(std::string_view what) { threw = what; }

    void on_finished(std::string_view w, std::error_code) {
        finished = true;
        why = w;
    }
};

class SessionTest : public ::testing::Test {
protected:
    void SetUp() override {
        int fds[2];
        ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
        peer_ = fds[1];
        timeval tv{5, 0};  // every read of the test's end is bounded
        ::setsockopt(peer_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        auto loop = net::Loop::create();
        ASSERT_TRUE(loop);
        loop_ = std::move(*loop);
        session_ = std::make_unique<OwnedSession<Owner>>(
                *loop_, std::make_unique<net::TcpTransport>(net::UniqueFd(fds[0])), owner_,
                config_);
    }

    void TearDown() override {
        session_.reset();
        if (peer_ >= 0) {
            ::close(peer_);
        }
    }

    // Runs the loop until `done` or about five seconds.
    void run_until(const std::function<bool()>& done) {
        for (int i = 0; i < 5000 && !done(); ++i) {
            loop_->run_once(1);
        }
    }

    std::string read_peer(std::size_t n) {
        std::string got;
        char buf[65536];
        while (got.size() < n) {
            const ssize_t r = ::recv(peer_, buf, sizeof buf, 0);
            if (r <= 0) {
                break;
            }
            got.append(buf, static_cast<std::size_t>(r));
        }
        return got;
    }

    SessionConfig config_{
            .low_watermark = 64 * 1024, .high_watermark = 256 * 1024, .closing_timeout_ms = 5000};
    Owner owner_;
    std::unique_ptr<net::Loop> loop_;
    std::unique_ptr<OwnedSession<Owner>> session_;
    int peer_ = -1;
};

TEST_F(SessionTest, WritesWhatTheOwnerQueuedAndHandsOverWhatArrives) {
    owner_.out.append("hello");
    ASSERT_FALSE(session_->start());
    EXPECT_EQ(read_peer(5), "hello");
    EXPECT_TRUE(owner_.out.empty());
    ASSERT_EQ(::send(peer_, "abc", 3, 0), 3);
    run_until([&] { return owner_.received.size() >= 3; });
    EXPECT_EQ(owner_.received, "abc");
}

TEST_F(SessionTest, StopsReadingAboveTheHighWatermarkAndResumesBelowTheLow) {
    ASSERT_FALSE(session_->start());
    const std::string big(4 * 1024 * 1024, 'x');  // far more than the socket buffers hold
    owner_.out.append(big);
    session_->output_queued();
    EXPECT_TRUE(session_->backpressured());
    ASSERT_EQ(::send(peer_, "in", 2, 0), 2);
    for (int i = 0; i < 50; ++i) {
        loop_->run_once(1);
    }
    EXPECT_EQ(owner_.received, "");  // not read while over the watermark
    EXPECT_EQ(owner_.drains, 0);
    std::string got;
    char buf[65536];
    for (int i = 0; i < 1'000'000 && got.size() < big.size(); ++i) {  // the peer reads it all
        loop_->run_once(0);
        const ssize_t r = ::recv(peer_, buf, sizeof buf, MSG_DONTWAIT);
        if (r > 0) {
            got.append(buf, static_cast<std::size_t>(r));
        }
    }
    EXPECT_EQ(got, big);
    run_until([&] { return !owner_.received.empty(); });
    EXPECT_EQ(owner_.drains, 1);
    EXPECT_FALSE(session_->backpressured());
    EXPECT_EQ(owner_.received, "in");
}

TEST_F(SessionTest, ServerLingerSendsFinAfterTheLastByteThenWaitsForThePeers) {
    ASSERT_FALSE(session_->start());
    owner_.out.append("bye");
    owner_.over = true;
    session_->output_queued();
    EXPECT_TRUE(session_->lingering());
    EXPECT_EQ(read_peer(4), "bye");                // then EOF: our FIN
    ASSERT_EQ(::send(peer_, "ignored", 7, 0), 7);  // read and discarded while lingering
    for (int i = 0; i < 20; ++i) {
        loop_->run_once(1);
    }
    EXPECT_FALSE(owner_.finished);
    EXPECT_EQ(owner_.received, "");
    ::close(peer_);
    peer_ = -1;
    run_until([&] { return owner_.finished; });
    EXPECT_TRUE(owner_.finished);
    EXPECT_EQ(owner_.why, "closed");
}

TEST_F(SessionTest, LingeringEndsAtTheClosingTimeoutWhenThePeerNeverCloses) {
    config_.closing_timeout_ms = 30;
    ASSERT_FALSE(session_->start());
    owner_.over = true;
    session_->output_queued();
    run_until([&] { return owner_.finished; });
    EXPECT_TRUE(owner_.finished);
    EXPECT_EQ(owner_.why, "peer did not close the TCP connection in time");
    EXPECT_EQ(loop_->timer_count(), 0U);
}

TEST_F(SessionTest, NoLingerClosesAsSoonAsTheOutputIsWritten) {
    ASSERT_FALSE(session_->start());
    owner_.how = Linger::none;
    owner_.over = true;
    owner_.out.append("last");
    session_->output_queued();
    EXPECT_TRUE(owner_.finished);
    EXPECT_EQ(read_peer(5), "last");
}

TEST_F(SessionTest, ThePeersCloseEndsTheSessionAndTellsTheOwner) {
    ASSERT_FALSE(session_->start());
    ::close(peer_);
    peer_ = -1;
    run_until([&] { return owner_.finished; });
    EXPECT_EQ(owner_.input_ends, 1);
    EXPECT_EQ(owner_.why, "peer closed the TCP connection");
}

TEST_F(SessionTest, InvokeCatchesAnythingACallbackThrows) {
    EXPECT_TRUE(session_->invoke([] {}));
    EXPECT_FALSE(session_->invoke([] { throw std::runtime_error("boom"); }));
    EXPECT_EQ(owner_.threw, "boom");
    EXPECT_FALSE(session_->invoke([] { throw 42; }));
    EXPECT_EQ(owner_.threw, "an exception not derived from std::exception");
}

TEST_F(SessionTest, OneTimerMovedOnlyEarlierServesTheDeadline) {
    owner_.due = loop_->now() + 20;
    ASSERT_FALSE(session_->start());
    EXPECT_EQ(loop_->timer_count(), 1U);
    for (int i = 0; i < 1000; ++i) {  // later deadlines re-arm nothing
        owner_.due = loop_->now() + 20 + i;
        session_->output_queued();
    }
    EXPECT_EQ(loop_->timer_count(), 1U);
    run_until([&] { return owner_.deadlines > 0; });
    EXPECT_EQ(owner_.deadlines, 1);
    EXPECT_EQ(loop_->timer_count(), 0U);  // no deadline left: nothing armed
}

}  // namespace
}  // namespace wsx::detail
