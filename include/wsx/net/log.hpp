// Log lines to stderr with a level: "2026-11-25T06:30:00.123Z info  listening on [::]:9998".
// Thread-safe (one write() per line). Formatting happens only when the level is enabled.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>

namespace wsx::net {

enum class LogLevel { debug, info, warn, error, off };

void set_log_level(LogLevel level) noexcept;

[[nodiscard]] LogLevel log_level() noexcept;

/// Parses "debug", "info", "warn"/"warning", "error", "off"; false if none matches.
[[nodiscard]] bool parse_log_level(std::string_view name, LogLevel& out) noexcept;

/// Sends log lines to `path` instead of stderr (appending). When the file would pass
/// `max_bytes`, it is renamed to path.1 (path.1 to path.2 and so on, keeping `count` old files)
/// and a new one is started, as Python's RotatingFileHandler does for pywebsocket's --log-max and
/// --log-count. max_bytes 0: never rotate. Returns the open() error, if any.
[[nodiscard]] std::error_code set_log_file(const std::string& path, std::uint64_t max_bytes,
                                           unsigned count);

/// Writes one line; use the log_* helpers.
void write_log_line(LogLevel level, std::string_view message) noexcept;

/// "1.234s": a duration in milliseconds as seconds, for log lines.
[[nodiscard]] std::string format_seconds(std::int64_t ms);

template <class... Args>
void log_at(LogLevel level, const Args&... args) {
    if (level < log_level()) {
        return;
    }
    std::ostringstream line;
    (line << ... << args);
    write_log_line(level, line.str());
}

template <class... Args>
void log_debug(const Args&... args) {
    log_at(LogLevel::debug, args...);
}

template <class... Args>
void log_info(const Args&... args) {
    log_at(LogLevel::info, args...);
}

template <class... Args>
void log_warn(const Args&... args) {
    log_at(LogLevel::warn, args...);
}

template <class... Args>
void log_error(const Args&... args) {
    log_at(LogLevel::error, args...);
}

}  // namespace wsx::net
