// A websocketpp (0.8, Debian's) echo server for bench/compare: the plain asio transport (no TLS),
// one thread, each message sent back with the opcode it came with, logging off, no extensions
// (the asio config has permessage-deflate disabled), any path. Usage: websocketpp_echo PORT
#include <cstdio>
#include <cstdlib>

#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

namespace {

using Server = websocketpp::server<websocketpp::config::asio>;

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: websocketpp_echo PORT\n");
        return 2;
    }
    Server server;
    server.clear_access_channels(websocketpp::log::alevel::all);
    server.clear_error_channels(websocketpp::log::elevel::all);
    server.init_asio();
    server.set_reuse_addr(true);
    server.set_listen_backlog(4096);
    server.set_message_handler([&server](websocketpp::connection_hdl hdl, Server::message_ptr m) {
        websocketpp::lib::error_code ec;
        server.send(hdl, m->get_payload(), m->get_opcode(), ec);
    });
    server.set_tcp_post_init_handler([&server](websocketpp::connection_hdl hdl) {
        boost::system::error_code ec;
        server.get_con_from_hdl(hdl)->get_raw_socket().set_option(
                boost::asio::ip::tcp::no_delay(true), ec);
    });
    const boost::asio::ip::tcp::endpoint where(boost::asio::ip::make_address("127.0.0.1"),
                                               static_cast<unsigned short>(std::atoi(argv[1])));
    server.listen(where);
    server.start_accept();
    std::printf("websocketpp_echo ready on 127.0.0.1:%s\n", argv[1]);
    std::fflush(stdout);
    server.run();
}
