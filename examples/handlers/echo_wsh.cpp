// The echo handler as a native wsx handler (pywebsocket's example/echo_wsh.py): every message
// comes back as it arrived; after echoing "Goodbye" the server closes the connection (1000).
#include <cstring>

#include "wsx/handler_abi.h"

namespace {

void on_message(const wsx_host* host, wsx_connection* c, const char* data, size_t size, int type) {
    host->send(c, data, size, type);
    if (type == WSX_TEXT && size == 7 && std::memcmp(data, "Goodbye", 7) == 0) {
        host->close(c, 1000, "");
    }
}

}  // namespace

// It reads no request header after on_open: an open connection keeps none of the request.
// NOLINTNEXTLINE(readability-identifier-naming): the name wsx looks up
WSX_HANDLER_EXPORT const uint32_t wsx_handler_flags = WSX_HANDLER_REQUEST_UNTIL_OPEN;

WSX_HANDLER_EXPORT const wsx_handler* wsx_handler_entry(void) {
    static const wsx_handler kHandler = {
            WSX_HANDLER_ABI_VERSION, "echo", nullptr, nullptr, on_message, nullptr};
    return &kHandler;
}
