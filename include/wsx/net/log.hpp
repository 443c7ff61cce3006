// Log lines to stderr with a level: "2026-11-25T06:30:00.123Z info  listening on [::]:9998".
// Thread-safe (one write() per line). Formatting happens only when the level is enabled.
#pragma once

#include <sstream>
#include <string_view>

namespace wsx::net {

enum class LogLevel { debug, info, warn, error, off };

void set_log_level(LogLevel level) noexcept;

[[nodiscard]] LogLevel log_level() noexcept;

/// Parses "debug", "info", "warn"/"warning", "error", "off"; false if none matches.
[[nodiscard]] bool parse_log_level(std::string_view name, LogLevel& out) noexcept;

/// Writes one line; use the log_* helpers.
void write_log_line(LogLevel level, std::string_view message) noexcept;

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
