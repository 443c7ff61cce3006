// The events an Endpoint hands out (next_event()) and how its connection ended, apart from the
// state machine itself (endpoint.hpp). Rule: plain data only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "wsx/proto/client_handshake.hpp"
#include "wsx/proto/close.hpp"
#include "wsx/proto/events.hpp"
#include "wsx/proto/message_reader.hpp"

namespace wsx::proto {

/// Client role: the server accepted the opening handshake; the connection is open.
struct Opened {
    const HandshakeAccepted& accepted;  // the subprotocol and extensions; until next_event()
};

/// A whole text or binary message. `data` is valid until the next next_event() or feed().
struct MessageReceived {
    MessageType type;
    std::string_view data;
};

/// A ping; the pong with the same payload is already queued (§5.5.2).
struct PingReceived {
    std::string_view payload;
};

/// A pong (solicited or not, §5.5.3).
struct PongReceived {
    std::string_view payload;
};

/// The peer's close frame. If the peer started the closing handshake, the reply (echoing its
/// code) is queued at the next next_event() call, unless close() chose another code first.
struct CloseReceived {
    std::uint16_t code;  // 1005 when the frame had no code
    std::string_view reason;
};

using Event =
        std::variant<Opened, MessageReceived, PingReceived, PongReceived, CloseReceived, Failed>;

/// How the connection ended, for on_close(code, reason, was_clean).
struct CloseInfo {
    std::uint16_t code = static_cast<std::uint16_t>(CloseCode::abnormal);  // received, 1005, 1006
    std::string reason;
    bool was_clean = false;  // both close frames were exchanged
    /// Who started the closing: we did (close(), a failure, a timeout), the peer did (its close
    /// frame came first), or nobody (the TCP connection just ended).
    enum class Initiator { none, local, peer } initiator = Initiator::none;
    std::uint16_t sent_code = 0;  // the code we sent, 0 if none
};

}  // namespace wsx::proto
