// A Boost.Beast echo server for bench/compare: one thread running one asio io_context, async
// accept and one async read -> write loop per connection, each message echoed as received (text or
// binary), permessage-deflate declined, any path. Usage: beast_echo PORT
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

class Session : public std::enable_shared_from_this<Session> {
public:
    explicit Session(tcp::socket socket) : ws_(std::move(socket)) {}

    void start() {
        websocket::permessage_deflate no_deflate;
        no_deflate.server_enable = false;
        no_deflate.client_enable = false;
        ws_.set_option(no_deflate);
        ws_.async_accept([self = shared_from_this()](beast::error_code ec) {
            if (!ec) {
                self->read();
            }
        });
    }

private:
    void read() {
        ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (!ec) {
                self->write();
            }
        });
    }

    void write() {
        ws_.text(ws_.got_text());
        ws_.async_write(buffer_.data(),
                        [self = shared_from_this()](beast::error_code ec, std::size_t) {
                            if (!ec) {
                                self->buffer_.consume(self->buffer_.size());
                                self->read();
                            }
                        });
    }

    websocket::stream<tcp::socket> ws_;
    beast::flat_buffer buffer_;
};

void accept_next(tcp::acceptor& acceptor) {
    acceptor.async_accept([&acceptor](beast::error_code ec, tcp::socket socket) {
        if (!ec) {
            socket.set_option(tcp::no_delay(true));
            std::make_shared<Session>(std::move(socket))->start();
        }
        accept_next(acceptor);
    });
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: beast_echo PORT\n");
        return 2;
    }
    asio::io_context io(1);
    const tcp::endpoint where(asio::ip::make_address("127.0.0.1"),
                              static_cast<unsigned short>(std::atoi(argv[1])));
    tcp::acceptor acceptor(io);
    acceptor.open(where.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(where);
    acceptor.listen(4096);
    accept_next(acceptor);
    std::printf("beast_echo ready on 127.0.0.1:%s\n", argv[1]);
    std::fflush(stdout);
    io.run();
}
