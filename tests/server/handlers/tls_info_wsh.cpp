// A test handler: on open, sends HTTPS and SSL_CLIENT_S_DN as host->variable() reports them (for
// the TLS interop test), then closes 1000.
#include <string>

#include "wsx/handler_abi.h"

namespace {

void on_open(const wsx_host* host, wsx_connection* c) {
    for (const char* name : {"HTTPS", "SSL_CLIENT_S_DN"}) {
        const char* value = host->variable(c, name);
        const std::string line = std::string(name) + "=" + (value != nullptr ? value : "");
        (void)host->send(c, line.data(), line.size(), WSX_TEXT);
    }
    (void)host->close(c, 1000, "");
}

}  // namespace

WSX_HANDLER_EXPORT const wsx_handler* wsx_handler_entry() {
    static const wsx_handler kHandler = {
            WSX_HANDLER_ABI_VERSION, "tls_info", nullptr, on_open, nullptr, nullptr, nullptr};
    return &kHandler;
}
