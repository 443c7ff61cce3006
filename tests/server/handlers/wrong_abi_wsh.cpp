// A handler built against a future ABI: wsx must refuse it, naming both versions.
#include "wsx/handler_abi.h"

WSX_HANDLER_EXPORT const wsx_handler* wsx_handler_entry(void) {
    static const wsx_handler kHandler = {
            WSX_HANDLER_ABI_VERSION + 1, "future", nullptr, nullptr, nullptr, nullptr};
    return &kHandler;
}
