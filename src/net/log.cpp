// Log sink; see log.hpp.
#include "wsx/net/log.hpp"

#include <array>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <string>

#include <sys/time.h>
#include <unistd.h>

namespace wsx::net {
namespace {

std::atomic<LogLevel> g_level{LogLevel::info};

const char* level_name(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::debug:
            return "debug";
        case LogLevel::info:
            return "info ";
        case LogLevel::warn:
            return "warn ";
        case LogLevel::error:
            return "error";
        case LogLevel::off:
            break;
    }
    return "";
}

}  // namespace

void set_log_level(LogLevel level) noexcept {
    g_level.store(level, std::memory_order_relaxed);
}

LogLevel log_level() noexcept {
    return g_level.load(std::memory_order_relaxed);
}

bool parse_log_level(std::string_view name, LogLevel& out) noexcept {
    if (name == "debug") {
        out = LogLevel::debug;
    } else if (name == "info") {
        out = LogLevel::info;
    } else if (name == "warn" || name == "warning") {
        out = LogLevel::warn;
    } else if (name == "error" || name == "critical") {
        out = LogLevel::error;
    } else if (name == "off") {
        out = LogLevel::off;
    } else {
        return false;
    }
    return true;
}

void write_log_line(LogLevel level, std::string_view message) noexcept {
    timeval tv{};
    gettimeofday(&tv, nullptr);
    tm utc{};
    gmtime_r(&tv.tv_sec, &utc);
    std::array<char, 40> stamp{};
    const auto n = std::strftime(stamp.data(), stamp.size(), "%Y-%m-%dT%H:%M:%S", &utc);
    std::string line(stamp.data(), n);
    std::array<char, 8> millis{};
    std::snprintf(millis.data(), millis.size(), ".%03dZ ", static_cast<int>(tv.tv_usec / 1000));
    line += millis.data();
    line += level_name(level);
    line += ' ';
    line += message;
    line += '\n';
    [[maybe_unused]] const auto written = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace wsx::net
