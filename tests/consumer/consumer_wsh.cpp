// A native handler built against the installed wsx/handler_abi.h alone: echoes with a prefix.
#include <string>

#include "wsx/handler_abi.h"

namespace {

void on_message(const wsx_host* host, wsx_connection* c, const char* data, size_t size, int type) {
    const std::string reply = "consumer: " + std::string(data, size);
    host->send(c, reply.data(), reply.size(), type);
}

}  // namespace

WSX_HANDLER_EXPORT const wsx_handler* wsx_handler_entry(void) {
    static const wsx_handler kHandler = {
            WSX_HANDLER_ABI_VERSION, "consumer", nullptr, nullptr, on_message, nullptr};
    return &kHandler;
}
