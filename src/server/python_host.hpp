// One Python host process (python/wsx_pyhost.py) as the loop sees it: spawned with the handler
// file as its argument, frames written to its stdin and parsed from its stdout (kind byte, 8-byte
// connection id, 4-byte length, payload; all big-endian), stderr logged, exit reported. Rule: it
// moves frames and knows nothing of what they mean (python_handler.cpp does).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "wsx/net/loop.hpp"
#include "wsx/python_handler.hpp"
#include "wsx/result.hpp"

#include "child_io.hpp"

namespace wsx::detail {

struct HostFrame {
    char kind;
    std::uint64_t id;
    std::string_view payload;  // valid for the call
};

class PythonHost final : public ChildIo {
public:
    using OnFrame = std::function<void(const HostFrame&)>;
    using OnExit = std::function<void(int status)>;

    /// Starts the host for `options.path`. Errors: the spawn's.
    [[nodiscard]] static Result<std::unique_ptr<PythonHost>> start(
            net::Loop& loop, const PythonHandlerOptions& options, OnFrame on_frame, OnExit on_exit);

    PythonHost(net::Loop& loop, net::ChildProcess child, const PythonHandlerOptions& options,
               OnFrame on_frame, OnExit on_exit);

    /// Queues one frame for the host.
    void send(char kind, std::uint64_t id, std::string_view payload = {});

private:
    void on_stdout(std::string_view data) override;
    void on_exit(int status) override;

    std::size_t max_frame_;
    OnFrame on_frame_;
    OnExit on_exit_;
    std::string buf_;
    bool broken_ = false;  // a malformed frame: the host is being ended
};

/// Payload helpers: NUL-separated fields, and a close frame's body (2-byte code, reason).
[[nodiscard]] std::string join_fields(const std::vector<std::string>& fields);
[[nodiscard]] std::vector<std::string_view> split_fields(std::string_view payload);
[[nodiscard]] std::string close_body(std::uint16_t code, std::string_view reason);
[[nodiscard]] std::uint32_t read_u32(std::string_view bytes) noexcept;
[[nodiscard]] std::string be32(std::uint32_t v);

}  // namespace wsx::detail
