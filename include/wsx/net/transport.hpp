// The byte-moving interface one connection's upper layer uses: plain TCP now, TLS later, behind
// the same small virtual interface (redis' ConnectionType). A transport never interprets bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>

namespace wsx::net {

/// Outcome of one read or write. EAGAIN is a state (would_block), not an error; EINTR is retried
/// inside the call.
struct IoResult {
    enum class Status { ok, would_block, eof, error };
    Status status = Status::ok;
    std::size_t bytes = 0;
    std::error_code error;  // for Status::error, naming the failed system call in logs

    [[nodiscard]] bool ok() const noexcept { return status == Status::ok; }
};

class Transport {
public:
    virtual ~Transport() = default;

    /// The descriptor to register with the loop.
    [[nodiscard]] virtual int fd() const noexcept = 0;

    /// Reads at most buf.size() bytes.
    [[nodiscard]] virtual IoResult read(std::span<char> buf) noexcept = 0;

    /// Writes from several buffers in order, in one system call where possible.
    [[nodiscard]] virtual IoResult write(std::span<const std::string_view> bufs) noexcept = 0;

    /// Sends up to `count` bytes of a file from `offset` (advanced by what was sent), zero-copy
    /// where the transport allows it.
    [[nodiscard]] virtual IoResult send_file(int file_fd, std::uint64_t& offset,
                                             std::size_t count) noexcept = 0;

    /// Sends FIN after everything written so far (the reading side stays open).
    virtual void shutdown_write() noexcept = 0;
};

}  // namespace wsx::net
