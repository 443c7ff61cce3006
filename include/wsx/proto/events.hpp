// Event types shared by the protocol core's two state machines, HttpExchange (the server's
// HTTP/1.1 side) and Endpoint (WebSocket), so that each header can name them without including
// the other. Rule: plain data only; no behaviour, and nothing that belongs to one machine alone.
#pragma once

#include <system_error>

namespace wsx::proto {

/// The connection failed: a bad request head (error response queued), a protocol violation (close
/// frame with close_code_for(error) queued), or a bad handshake response (client: nothing
/// queued). The machine that reported it is now closed.
struct Failed {
    std::error_code error;
};

}  // namespace wsx::proto
