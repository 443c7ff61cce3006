// Loads a native handler (a `*_wsh.so` built against wsx/handler_abi.h) and adapts its C hooks to
// wsx::Handlers. The shared object stays loaded as long as any Handlers made from it exist.
//
//     auto loaded = wsx::NativeHandler::load("handlers/echo_wsh.so");
//     if (!loaded.handler) { log(loaded.error); }
//     Route route{.path = "/echo", .handlers = loaded.handler->handlers(),
//                 .keep_request = loaded.handler->keeps_request()};
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "wsx/handler_abi.h"
#include "wsx/route.hpp"

namespace wsx {

class NativeHandler;

/// The outcome of loading: a handler, or the reason there is none (dlopen's message, a missing
/// `wsx_handler_entry`, or an ABI version other than WSX_HANDLER_ABI_VERSION).
struct NativeHandlerLoad {
    std::shared_ptr<NativeHandler> handler;
    std::string error;
};

class NativeHandler {
public:
    [[nodiscard]] static NativeHandlerLoad load(const std::string& path);

    NativeHandler(const NativeHandler&) = delete;
    NativeHandler& operator=(const NativeHandler&) = delete;
    ~NativeHandler();

    /// Handlers that call the shared object's hooks; they keep it loaded.
    [[nodiscard]] Handlers handlers() const;

    [[nodiscard]] const std::string& name() const noexcept { return name_; }

    /// For Route::keep_request: false if the handler exports wsx_handler_flags with
    /// WSX_HANDLER_REQUEST_UNTIL_OPEN.
    [[nodiscard]] bool keeps_request() const noexcept {
        return (flags_ & WSX_HANDLER_REQUEST_UNTIL_OPEN) == 0;
    }

private:
    NativeHandler(void* library, const wsx_handler* entry, std::string name, std::uint32_t flags)
        : library_(library), entry_(entry), name_(std::move(name)), flags_(flags) {}

    void* library_;  // dlopen handle, closed by the destructor
    const wsx_handler* entry_;
    std::string name_;
    std::uint32_t flags_;  // wsx_handler_flags, 0 if not exported
    std::weak_ptr<NativeHandler> self_;
};

}  // namespace wsx
