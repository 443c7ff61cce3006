// Loads a native handler (a `*_wsh.so` built against wsx/handler_abi.h) and adapts its C hooks to
// wsx::Handlers. The shared object stays loaded as long as any Handlers made from it exist.
//
//     auto loaded = wsx::NativeHandler::load("handlers/echo_wsh.so");
//     if (!loaded.handler) { log(loaded.error); }
//     Route route{.path = "/echo", .handlers = loaded.handler->handlers()};
#pragma once

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

private:
    NativeHandler(void* library, const wsx_handler* entry, std::string name)
        : library_(library), entry_(entry), name_(std::move(name)) {}

    void* library_;  // dlopen handle, closed by the destructor
    const wsx_handler* entry_;
    std::string name_;
    std::weak_ptr<NativeHandler> self_;
};

}  // namespace wsx
