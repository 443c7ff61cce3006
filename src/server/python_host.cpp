// The Python host process and its framing; see python_host.hpp.
#include "python_host.hpp"

#include <cstdlib>

#include "wsx/net/log.hpp"

namespace wsx::detail {
namespace {

constexpr std::size_t kHeaderSize = 13;  // kind, id (8), length (4)

std::uint64_t read_u64(std::string_view bytes) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        v = (v << 8) | static_cast<unsigned char>(bytes[i]);
    }
    return v;
}

void put_be(std::string& out, std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) {
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    }
}

std::vector<std::string> host_environment() {
    std::vector<std::string> env = {"PYTHONDONTWRITEBYTECODE=1", "PYTHONIOENCODING=utf-8"};
    for (const char* name : {"PATH", "HOME", "LANG", "PYTHONPATH"}) {
        if (const char* value = std::getenv(name)) {
            env.push_back(std::string(name) + "=" + value);
        }
    }
    return env;
}

}  // namespace

std::uint32_t read_u32(std::string_view bytes) noexcept {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4 && i < bytes.size(); ++i) {
        v = (v << 8) | static_cast<unsigned char>(bytes[i]);
    }
    return v;
}

std::string be32(std::uint32_t v) {
    std::string out;
    put_be(out, v, 4);
    return out;
}

std::string join_fields(const std::vector<std::string>& fields) {
    std::string out;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) {
            out.push_back('\0');
        }
        out += fields[i];
    }
    return out;
}

std::vector<std::string_view> split_fields(std::string_view payload) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (auto nul = payload.find('\0'); nul != std::string_view::npos;
         nul = payload.find('\0', start)) {
        out.push_back(payload.substr(start, nul - start));
        start = nul + 1;
    }
    out.push_back(payload.substr(start));
    return out;
}

std::string close_body(std::uint16_t code, std::string_view reason) {
    std::string out;
    put_be(out, code, 2);
    out += reason;
    return out;
}

Result<std::unique_ptr<PythonHost>> PythonHost::start(net::Loop& loop,
                                                      const PythonHandlerOptions& options,
                                                      OnFrame on_frame, OnExit on_exit) {
    auto child = net::spawn_process({.path = options.python,
                                     .argv = {options.python, options.host_script, options.path},
                                     .env = host_environment()});
    if (!child) {
        return child.error();
    }
    return std::make_unique<PythonHost>(loop, std::move(*child), options, std::move(on_frame),
                                        std::move(on_exit));
}

PythonHost::PythonHost(net::Loop& loop, net::ChildProcess child,
                       const PythonHandlerOptions& options, OnFrame on_frame, OnExit on_exit)
    : ChildIo(loop, std::move(child), options.path + ": python host", options.kill_grace_ms),
      max_frame_(options.max_frame),
      on_frame_(std::move(on_frame)),
      on_exit_(std::move(on_exit)) {}

void PythonHost::send(char kind, std::uint64_t id, std::string_view payload) {
    std::string head(1, kind);
    put_be(head, id, 8);
    put_be(head, payload.size(), 4);
    write_stdin(head);
    write_stdin(payload);
}

void PythonHost::on_stdout(std::string_view data) {
    if (broken_) {
        return;
    }
    buf_.append(data);
    std::size_t pos = 0;
    while (buf_.size() - pos >= kHeaderSize) {
        const std::string_view head = std::string_view(buf_).substr(pos, kHeaderSize);
        const std::uint32_t length = read_u32(head.substr(9));
        if (length > max_frame_) {
            net::log_error(log_prefix(), ": frame of ", length, " bytes from the host; ending it");
            broken_ = true;
            buf_.clear();
            terminate();
            return;
        }
        if (buf_.size() - pos - kHeaderSize < length) {
            break;
        }
        const HostFrame frame{head[0], read_u64(head.substr(1)),
                              std::string_view(buf_).substr(pos + kHeaderSize, length)};
        pos += kHeaderSize + length;
        on_frame_(frame);
    }
    buf_.erase(0, pos);
}

void PythonHost::on_exit(int status) {
    net::log_warn(log_prefix(), ": process ", pid(), " exited with status ", status);
    on_exit_(status);  // may destroy nothing of us: the owner frees us after this iteration
}

}  // namespace wsx::detail
