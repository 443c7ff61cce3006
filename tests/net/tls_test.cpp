// TlsServer, TlsClient and TlsTransport over a socketpair, both ends driven in turn from this
// thread (non-blocking: every call returns at once, so the pumping loops are bounded by a count,
// never by time). Certificates are made per test process by tests/support/make_test_certs.sh.
#include "wsx/net/tls.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wsx/net/errc.hpp"
#include "wsx/net/tls_error.hpp"

namespace wsx::net {
namespace {

namespace fs = std::filesystem;

class Tls : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        cert_dir() = fs::temp_directory_path() / ("wsx-tls-test-" + std::to_string(::getpid()));
        const std::string cmd = std::string("sh ") + MAKE_TEST_CERTS + " " + cert_dir().string();
        ASSERT_EQ(std::system(cmd.c_str()), 0);
    }

    static void TearDownTestSuite() { fs::remove_all(cert_dir()); }

    static std::string path(const std::string& name) { return (cert_dir() / name).string(); }

    static TlsServerConfig config(const std::string& leaf = "server") {
        TlsServerConfig c;
        c.certificates.push_back({path(leaf + ".pem"), path(leaf + ".key")});
        return c;
    }

    static std::shared_ptr<TlsServer> server(TlsServerConfig c) {
        auto s = TlsServer::create(std::move(c));
        EXPECT_TRUE(s) << s.error().message();
        return s ? *s : nullptr;
    }

    static std::shared_ptr<TlsClient> client(TlsClientConfig c = {}) {
        if (c.ca_file.empty() && c.verify) {
            c.ca_file = path("ca.pem");
        }
        auto made = TlsClient::create(c);
        EXPECT_TRUE(made) << made.error().message();
        return made ? *made : nullptr;
    }

    // A connected pair: (server transport, client transport to `host`).
    struct Pair {
        std::unique_ptr<TlsTransport> server;
        std::unique_ptr<TlsTransport> client;
    };

    static Pair pair(const TlsServer& s, const TlsClient& c, const std::string& host = "localhost",
                     bool start = true) {
        std::array<int, 2> fds{};
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds.data()), 0);
        auto st = s.accept(UniqueFd(fds[0]));
        auto ct = c.connect(UniqueFd(fds[1]), host, start);
        EXPECT_TRUE(st && ct);
        return {std::move(*st), std::move(*ct)};
    }

    // Drives both handshakes (the client writes, the server reads) until both are done or one
    // fails; returns the first failure of each side.
    static std::pair<IoResult, IoResult> handshake(Pair& p) {
        IoResult s;
        IoResult c;
        std::array<char, 64> buf{};
        for (int i = 0; i < 100 && !(p.server->established() && p.client->established()); ++i) {
            c = p.client->write({});
            s = p.server->read(buf);
            if (c.status == IoResult::Status::error || s.status == IoResult::Status::error
                || s.status == IoResult::Status::eof) {
                break;
            }
            c = p.client->read(buf);
            if (c.status == IoResult::Status::error || c.status == IoResult::Status::eof) {
                break;
            }
        }
        return {s, c};
    }

    // Everything `from` sends, read by `to` (bounded).
    static std::string carry(Transport& from, Transport& to, std::string_view bytes) {
        std::size_t sent = 0;
        std::string got;
        std::array<char, 4096> buf{};
        for (int i = 0; i < 1000 && got.size() < bytes.size(); ++i) {
            if (sent < bytes.size()) {
                const std::array<std::string_view, 1> rest{bytes.substr(sent)};
                const IoResult w = from.write(rest);
                sent += w.ok() ? w.bytes : 0;
            }
            const IoResult r = to.read(buf);
            if (r.ok()) {
                got.append(buf.data(), r.bytes);
            }
        }
        return got;
    }

    static fs::path& cert_dir() {
        static fs::path dir;
        return dir;
    }
};

TEST_F(Tls, HandshakeCompletesAndCarriesBytesBothWays) {
    auto s = server(config());
    auto c = client();
    Pair p = pair(*s, *c);
    auto [sr, cr] = handshake(p);
    ASSERT_TRUE(p.server->established() && p.client->established())
            << sr.error.message() << " / " << cr.error.message();
    EXPECT_EQ(carry(*p.client, *p.server, "GET / HTTP/1.1\r\n\r\n"), "GET / HTTP/1.1\r\n\r\n");
    const std::string big(100'000, 'x');
    EXPECT_EQ(carry(*p.server, *p.client, big), big);
}

TEST_F(Tls, SecurityReportsVersionAlpnAndSni) {
    auto s = server(config());
    auto c = client();
    Pair p = pair(*s, *c);
    (void)handshake(p);
    const auto info = p.server->security();
    ASSERT_TRUE(info);
    EXPECT_EQ(info->protocol, "TLSv1.3");
    EXPECT_EQ(info->alpn, "http/1.1");  // the one protocol both offer
    EXPECT_EQ(info->server_name, "localhost");
    EXPECT_FALSE(info->peer_certificate);
}

TEST_F(Tls, InterestDuringTheHandshakeIsWhatTheHandshakeWaitsFor) {
    auto s = server(config());
    auto c = client();
    Pair p = pair(*s, *c);
    // Before the ClientHello the server waits to read, whatever the engine would write.
    const auto w = p.server->interest({.read = false, .write = true});
    EXPECT_TRUE(w.read);
    EXPECT_FALSE(w.write);
    // The client's ClientHello is out: it waits to read, not to write its request.
    EXPECT_EQ(p.client->write({}).status, IoResult::Status::would_block);
    const auto cw = p.client->interest({.read = true, .write = true});
    EXPECT_TRUE(cw.read);
    EXPECT_FALSE(cw.write);
}

TEST_F(Tls, DecryptedBytesNotReadYetArePendingInput) {
    auto s = server(config());
    auto c = client();
    Pair p = pair(*s, *c);
    (void)handshake(p);
    const std::array<std::string_view, 1> msg{std::string_view("hello")};
    ASSERT_TRUE(p.client->write(msg).ok());
    std::array<char, 1> one{};
    IoResult r{.status = IoResult::Status::would_block};
    for (int i = 0; i < 10 && !r.ok(); ++i) {
        r = p.server->read(one);
    }
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(p.server->has_pending_input());  // four bytes wait inside OpenSSL, not the socket
}

TEST_F(Tls, ServerChoosesTheCertificateMatchingSni) {
    TlsServerConfig cfg = config();
    cfg.certificates.push_back({path("other.pem"), path("other.key")});
    auto s = server(cfg);
    auto c = client();
    Pair p = pair(*s, *c, "other.example");  // the client checks the name: it must be other's
    (void)handshake(p);
    EXPECT_TRUE(p.client->established());
    Pair q = pair(*s, *c, "localhost");
    (void)handshake(q);
    EXPECT_TRUE(q.client->established());
}

void expect_verify_error(const IoResult& r, long want) {
    EXPECT_EQ(r.status, IoResult::Status::error);
    EXPECT_EQ(r.error.category(), tls_verify_category()) << r.error.message();
    EXPECT_EQ(r.error.value(), want) << r.error.message();
}

TEST_F(Tls, ClientRefusesACertificateForAnotherHost) {
    auto s = server(config("wrong"));
    auto c = client();
    Pair p = pair(*s, *c);
    expect_verify_error(handshake(p).second, X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST_F(Tls, ClientRefusesAnExpiredCertificate) {
    auto s = server(config("expired"));
    auto c = client();
    Pair p = pair(*s, *c);
    expect_verify_error(handshake(p).second, X509_V_ERR_CERT_HAS_EXPIRED);
}

TEST_F(Tls, ClientRefusesACertificateFromAnUnknownCa) {
    auto s = server(config("rogue"));
    auto c = client();
    Pair p = pair(*s, *c);
    expect_verify_error(handshake(p).second, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST_F(Tls, IpLiteralIsCheckedAgainstIpSansAndSendsNoSni) {
    auto s = server(config());
    auto c = client();
    Pair p = pair(*s, *c, "127.0.0.1");
    (void)handshake(p);
    ASSERT_TRUE(p.client->established());
    EXPECT_EQ(p.server->security()->server_name, "");  // RFC 6066 §3: no IP literal in SNI
    Pair q = pair(*s, *c, "127.0.0.2");
    expect_verify_error(handshake(q).second, X509_V_ERR_IP_ADDRESS_MISMATCH);
}

TEST_F(Tls, InsecureClientAcceptsAnyCertificate) {
    auto s = server(config("rogue"));
    auto c = client({.verify = false});
    Pair p = pair(*s, *c, "anything.example");
    (void)handshake(p);
    EXPECT_TRUE(p.client->established());
}

TEST_F(Tls, RequiredClientCertificateRefusesAClientWithout) {
    TlsServerConfig cfg = config();
    cfg.client_auth = TlsClientAuth::required;
    cfg.client_ca_file = path("ca.pem");
    auto s = server(cfg);
    auto c = client();
    Pair p = pair(*s, *c);
    auto [sr, cr] = handshake(p);
    EXPECT_FALSE(p.server->established());
    EXPECT_EQ(sr.status, IoResult::Status::error);
}

TEST_F(Tls, ClientCertificateSubjectAndIssuerAreReported) {
    TlsServerConfig cfg = config();
    cfg.client_auth = TlsClientAuth::optional;
    cfg.client_ca_file = path("ca.pem");
    auto s = server(cfg);
    auto c = client({.certificate_file = path("client.pem"), .key_file = path("client.key")});
    Pair p = pair(*s, *c);
    (void)handshake(p);
    // TLS 1.3: the server reads the client's certificate with its Finished.
    (void)carry(*p.client, *p.server, "x");
    const auto info = p.server->security();
    ASSERT_TRUE(info);
    EXPECT_TRUE(info->peer_certificate && info->peer_verified);
    EXPECT_NE(info->peer_subject.find("CN=wsx test client"), std::string::npos)
            << info->peer_subject;
    EXPECT_EQ(info->peer_issuer, "CN=wsx test CA,O=wsx tests");
}

TEST_F(Tls, PlainHttpOnTheTlsPortGetsTheConfiguredReply) {
    TlsServerConfig cfg = config();
    cfg.plain_http_reply = "HTTP/1.1 400 Bad Request\r\n\r\n";
    auto s = server(cfg);
    std::array<int, 2> fds{};
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds.data()), 0);
    auto st = s->accept(UniqueFd(fds[0]));
    UniqueFd peer(fds[1]);
    ASSERT_EQ(::write(peer.get(), "GET / HTTP/1.1\r\n\r\n", 18), 18);
    std::array<char, 64> buf{};
    const IoResult r = (*st)->read(buf);
    EXPECT_EQ(r.error, make_error_code(Errc::tls_plain_http));
    const ssize_t n = ::read(peer.get(), buf.data(), buf.size());
    EXPECT_EQ(std::string(buf.data(), static_cast<std::size_t>(std::max<ssize_t>(n, 0))),
              "HTTP/1.1 400 Bad Request\r\n\r\n");
}

TEST_F(Tls, ClearPhaseCarriesBytesUntilStartTls) {
    auto s = server(config());
    auto c = client();
    Pair p = pair(*s, *c, "localhost", false);
    const std::array<std::string_view, 1> connect{std::string_view("CONNECT x:1 HTTP/1.1\r\n\r\n")};
    ASSERT_TRUE(p.client->write(connect).ok());
    // What a proxy would see: the bytes in the clear (the server side's socket, read raw).
    std::array<char, 64> buf{};
    const ssize_t n = ::recv(p.server->fd(), buf.data(), buf.size(), 0);
    EXPECT_EQ(std::string(buf.data(), static_cast<std::size_t>(std::max<ssize_t>(n, 0))),
              connect[0]);
    p.client->start_tls();
    (void)handshake(p);
    EXPECT_TRUE(p.client->established() && p.server->established());
}

TEST_F(Tls, ShutdownWriteIsSeenAsTheEnd) {
    auto s = server(config());
    auto c = client();
    Pair p = pair(*s, *c);
    (void)handshake(p);
    p.client->shutdown_write();
    std::array<char, 16> buf{};
    IoResult r;
    for (int i = 0; i < 10 && r.status != IoResult::Status::eof; ++i) {
        r = p.server->read(buf);
    }
    EXPECT_EQ(r.status, IoResult::Status::eof);
}

TEST_F(Tls, SendFileCarriesAFileBody) {
    auto s = server(config());
    auto c = client();
    Pair p = pair(*s, *c);
    (void)handshake(p);
    const std::string body(50'000, 'f');
    const std::string file = path("body.bin");
    std::ofstream(file, std::ios::binary) << body;
    UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    std::uint64_t offset = 0;
    std::string got;
    std::array<char, 4096> buf{};
    for (int i = 0; i < 1000 && got.size() < body.size(); ++i) {
        if (offset < body.size()) {
            (void)p.server->send_file(fd.get(), offset, body.size() - offset);
        }
        const IoResult r = p.client->read(buf);
        if (r.ok()) {
            got.append(buf.data(), r.bytes);
        }
    }
    EXPECT_EQ(got, body);
}

TEST_F(Tls, ReloadServesTheNewCertificateAndKeepsAcceptedConnections) {
    const std::string cert = path("live.pem");
    const std::string key = path("live.key");
    fs::copy_file(path("server.pem"), cert, fs::copy_options::overwrite_existing);
    fs::copy_file(path("server.key"), key, fs::copy_options::overwrite_existing);
    TlsServerConfig cfg;
    cfg.certificates.push_back({cert, key});
    auto s = server(cfg);
    auto c = client();
    Pair before = pair(*s, *c, "localhost");  // accepted before the reload, handshake after
    fs::copy_file(path("other.pem"), cert, fs::copy_options::overwrite_existing);
    fs::copy_file(path("other.key"), key, fs::copy_options::overwrite_existing);
    ASSERT_FALSE(s->reload());
    (void)handshake(before);
    EXPECT_TRUE(before.client->established());  // still the localhost certificate
    Pair after = pair(*s, *c, "other.example");
    (void)handshake(after);
    EXPECT_TRUE(after.client->established());
    std::ofstream(cert) << "not a certificate\n";
    EXPECT_TRUE(s->reload());  // refused ...
    Pair still = pair(*s, *c, "other.example");
    (void)handshake(still);
    EXPECT_TRUE(still.client->established());  // ... and the last good one stays
}

TEST_F(Tls, CreateRefusesIncompleteSettings) {
    EXPECT_EQ(TlsServer::create({}).error(), make_error_code(Errc::tls_config));
    TlsServerConfig cfg = config();
    cfg.client_auth = TlsClientAuth::required;
    EXPECT_EQ(TlsServer::create(cfg).error(), make_error_code(Errc::tls_config));
    TlsServerConfig missing;
    missing.certificates.push_back({path("nope.pem"), path("nope.key")});
    EXPECT_EQ(TlsServer::create(missing).error(), std::errc::no_such_file_or_directory);
    TlsServerConfig mismatched;
    mismatched.certificates.push_back({path("server.pem"), path("other.key")});
    EXPECT_EQ(TlsServer::create(mismatched).error().category(), tls_category());
}

}  // namespace
}  // namespace wsx::net
