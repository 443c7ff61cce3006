// Subprotocol negotiation in the extra handshake (pywebsocket's web_socket_do_extra_handshake):
// accepts "wsx.v2" or "wsx.v1" (the newest the client offers) and refuses a client that offers
// neither with 403. Each message is answered with the protocol in use.
#include <cstring>
#include <string>

#include "wsx/handler_abi.h"

namespace {

void do_extra_handshake(const wsx_host*, wsx_connection*, const wsx_handshake* request,
                        wsx_handshake_answer* answer) {
    for (const char* wanted : {"wsx.v2", "wsx.v1"}) {
        for (size_t i = 0; i < request->subprotocol_count; ++i) {
            if (std::strcmp(request->subprotocols[i], wanted) == 0) {
                answer->subprotocol = request->subprotocols[i];
                return;
            }
        }
    }
    answer->status = 403;  // pywebsocket: a rejected extra handshake is 403
}

void on_message(const wsx_host* host, wsx_connection* c, const char* data, size_t size, int) {
    std::string reply = std::string(host->subprotocol(c)) + ": ";
    reply.append(data, size);
    host->send(c, reply.data(), reply.size(), WSX_TEXT);
}

// The client said goodbye: answer with our own code and reason.
void passive_closing_handshake(const wsx_host* host, wsx_connection* c, uint16_t, const char*) {
    host->close(c, 4000, "bye from wsx.protocol");
}

}  // namespace

// It reads no request header after on_open: an open connection keeps none of the request.
// NOLINTNEXTLINE(readability-identifier-naming): the name wsx looks up
WSX_HANDLER_EXPORT const uint32_t wsx_handler_flags = WSX_HANDLER_REQUEST_UNTIL_OPEN;

WSX_HANDLER_EXPORT const wsx_handler* wsx_handler_entry(void) {
    static const wsx_handler kHandler = {
            WSX_HANDLER_ABI_VERSION,  "protocol", do_extra_handshake, nullptr, on_message, nullptr,
            passive_closing_handshake};
    return &kHandler;
}
