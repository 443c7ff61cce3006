// A test handler that declares WSX_HANDLER_REQUEST_UNTIL_OPEN: on open it sends its X-Token
// header, and on each message the same header as host->header() sees it then ("null" once the
// connection has let the request go).
#include <string>

#include "wsx/handler_abi.h"

namespace {

std::string token(const wsx_host* host, const wsx_connection* c) {
    const char* value = host->header(c, "X-Token");
    return value != nullptr ? value : "null";
}

void on_open(const wsx_host* host, wsx_connection* c) {
    const std::string line = "open " + token(host, c);
    (void)host->send(c, line.data(), line.size(), WSX_TEXT);
}

void on_message(const wsx_host* host, wsx_connection* c, const char*, size_t, int) {
    const std::string line = "message " + token(host, c);
    (void)host->send(c, line.data(), line.size(), WSX_TEXT);
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name wsx looks up
WSX_HANDLER_EXPORT const uint32_t wsx_handler_flags = WSX_HANDLER_REQUEST_UNTIL_OPEN;

WSX_HANDLER_EXPORT const wsx_handler* wsx_handler_entry(void) {
    static const wsx_handler kHandler = {WSX_HANDLER_ABI_VERSION,
                                         "request_until_open",
                                         nullptr,
                                         on_open,
                                         on_message,
                                         nullptr,
                                         nullptr};
    return &kHandler;
}
