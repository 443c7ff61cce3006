// A chat room on a topic: every member subscribes to "chat" when it joins, and every text message
// is published there, prefixed with the sender's number; joins and leaves are announced. The
// topic reaches the members on every loop thread (and, once nodes are joined, every node).
#include <atomic>
#include <cstdio>
#include <string>

#include "wsx/handler_abi.h"

namespace {

constexpr const char* kRoom = "chat";

// Shared by every connection: with several loop threads, on_open may run on two at once.
std::atomic<unsigned long> g_next_member{1};

unsigned long member(const wsx_host* host, const wsx_connection* c) {
    return reinterpret_cast<unsigned long>(
            host->user_data(c));  // the number, stored in the pointer
}

void on_open(const wsx_host* host, wsx_connection* c) {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): user_data holds the number, not an address.
    host->set_user_data(c, reinterpret_cast<void*>(g_next_member.fetch_add(1)));
    host->subscribe(c, kRoom);
    const std::string line = "* member " + std::to_string(member(host, c)) + " joined";
    host->publish(c, kRoom, line.data(), line.size(), WSX_TEXT);
}

void on_message(const wsx_host* host, wsx_connection* c, const char* data, size_t size, int type) {
    if (type != WSX_TEXT) {
        host->close(c, 1003, "text only");
        return;
    }
    std::string line = "member " + std::to_string(member(host, c)) + ": ";
    line.append(data, size);
    host->publish(c, kRoom, line.data(), line.size(), WSX_TEXT);
}

void on_close(const wsx_host* host, wsx_connection* c, uint16_t, const char*, int) {
    const std::string line = "* member " + std::to_string(member(host, c)) + " left";
    host->publish(c, kRoom, line.data(), line.size(), WSX_TEXT);  // it leaves the topic after
}

}  // namespace

// It reads no request header after on_open: an open connection keeps none of the request.
// NOLINTNEXTLINE(readability-identifier-naming): the name wsx looks up
WSX_HANDLER_EXPORT const uint32_t wsx_handler_flags = WSX_HANDLER_REQUEST_UNTIL_OPEN;

WSX_HANDLER_EXPORT const wsx_handler* wsx_handler_entry(void) {
    static const wsx_handler kHandler = {
            WSX_HANDLER_ABI_VERSION, "chat", nullptr, on_open, on_message, on_close};
    return &kHandler;
}
