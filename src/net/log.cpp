// Log sink; see log.hpp.
#include "wsx/net/log.hpp"

#include <array>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "wsx/net/errc.hpp"

namespace wsx::net {
namespace {

std::atomic<LogLevel> g_level{LogLevel::info};

// The log file, if any. Lines are written under the mutex, one write() each.
struct LogFile {
    std::mutex mutex;
    int fd = -1;
    std::string path;
    std::uint64_t size = 0;
    std::uint64_t max_bytes = 0;
    unsigned count = 0;
};

LogFile& log_file() {
    static LogFile file;
    return file;
}

int open_log(const std::string& path) {
    return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

// Shifts PATH.1.. up by one, makes PATH.1 the full log and PATH a new empty one. PATH never goes
// missing, not even for a moment (a reader or tail -F may open it at any time): PATH.1 is a hard
// link made before a new file is renamed over PATH.
void rotate(LogFile& f) {
    ::close(f.fd);
    f.fd = -1;
    if (f.count > 0) {
        for (unsigned i = f.count; i > 1; --i) {
            const std::string from = f.path + "." + std::to_string(i - 1);
            ::rename(from.c_str(), (f.path + "." + std::to_string(i)).c_str());
        }
        const std::string first = f.path + ".1";
        ::unlink(first.c_str());
        if (::link(f.path.c_str(), first.c_str()) != 0) {
            ::rename(f.path.c_str(), first.c_str());  // no hard links here: a moment without PATH
        }
    }
    const std::string fresh = f.path + ".new";
    f.fd = ::open(fresh.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (f.fd >= 0 && ::rename(fresh.c_str(), f.path.c_str()) != 0) {
        ::close(f.fd);
        f.fd = open_log(f.path);
    }
    f.size = 0;
}

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

std::error_code set_log_file(const std::string& path, std::uint64_t max_bytes, unsigned count) {
    LogFile& f = log_file();
    std::lock_guard lock(f.mutex);
    const int fd = open_log(path);
    if (fd < 0) {
        return last_system_error();
    }
    if (f.fd >= 0) {
        ::close(f.fd);
    }

    struct stat st {};

    f.fd = fd;
    f.path = path;
    f.size = ::fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    f.max_bytes = max_bytes;
    f.count = count;
    return {};
}

std::string format_seconds(std::int64_t ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld.%03llds", static_cast<long long>(ms / 1000),
                  static_cast<long long>(ms % 1000));
    return buf;
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
    LogFile& f = log_file();
    std::lock_guard lock(f.mutex);
    if (f.fd < 0) {
        [[maybe_unused]] const auto written = ::write(STDERR_FILENO, line.data(), line.size());
        return;
    }
    if (f.max_bytes > 0 && f.size + line.size() > f.max_bytes && f.size > 0) {
        rotate(f);
    }
    if (f.fd >= 0 && ::write(f.fd, line.data(), line.size()) > 0) {
        f.size += line.size();
    }
}

}  // namespace wsx::net
