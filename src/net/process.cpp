// Child processes; see process.hpp.
#include "wsx/net/process.hpp"

#include <array>
#include <cerrno>
#include <csignal>

#include <fcntl.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wsx/net/errc.hpp"

namespace wsx::net {
namespace {

constexpr int kControlFd = 3;

struct Pipe {
    UniqueFd read;
    UniqueFd write;
};

Result<Pipe> make_pipe() {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
        return last_system_error();
    }
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// The server's end of a pipe, made non-blocking for the loop.
UniqueFd adopt(UniqueFd& end) {
    ::fcntl(end.get(), F_SETFL, ::fcntl(end.get(), F_GETFL) | O_NONBLOCK);
    return std::move(end);
}

// The child starts with no signal blocked (the server blocks SIGTERM & co. for its signalfd),
// every disposition at its default (the server ignores SIGPIPE), in a process group of its own.
void init_spawn_attributes(posix_spawnattr_t& attr) {
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigset_t all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(
            &attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
}

std::vector<char*> c_strings(const std::vector<std::string>& v) {
    std::vector<char*> out;
    out.reserve(v.size() + 1);
    for (const auto& s : v) {
        out.push_back(const_cast<char*>(s.c_str()));  // the exec family's signature, not written
    }
    out.push_back(nullptr);
    return out;
}

}  // namespace

Result<ChildProcess> spawn_process(const ProcessSpec& spec) {
    auto in = make_pipe();
    auto out = make_pipe();
    auto err = make_pipe();
    if (!in || !out || !err) {
        return !in ? in.error() : !out ? out.error() : err.error();
    }
    Pipe control;
    if (spec.control_pipe) {
        auto p = make_pipe();
        if (!p) {
            return p.error();
        }
        control = std::move(*p);
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in->read.get(), STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out->write.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err->write.get(), STDERR_FILENO);
    if (spec.control_pipe) {
        // Last, so that whichever pipe end was numbered 3 has been duplicated already; dup2
        // clears close-on-exec on the copy (and posix_spawn does so too when it already is 3).
        posix_spawn_file_actions_adddup2(&actions, control.write.get(), kControlFd);
    }
    if (!spec.cwd.empty()) {
        posix_spawn_file_actions_addchdir_np(&actions, spec.cwd.c_str());
    }
    posix_spawnattr_t attr;
    init_spawn_attributes(attr);
    auto argv = c_strings(spec.argv);
    auto envp = c_strings(spec.env);
    ChildProcess child;
    const int rc =
            posix_spawn(&child.pid, spec.path.c_str(), &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        return std::error_code(rc, std::system_category());
    }
    child.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, child.pid, 0)));
    if (!child.pidfd.valid()) {
        const auto ec = last_system_error();
        ::kill(child.pid, SIGKILL);
        ::waitpid(child.pid, nullptr, 0);
        return ec;
    }
    child.stdin_fd = adopt(in->write);
    child.stdout_fd = adopt(out->read);
    child.stderr_fd = adopt(err->read);
    if (control.read.valid()) {
        child.control_fd = adopt(control.read);
    }
    return child;
}

void signal_process(const ChildProcess& child, int signal) noexcept {
    if (child.pidfd.valid()) {
        ::syscall(SYS_pidfd_send_signal, child.pidfd.get(), signal, nullptr, 0);
    }
}

int reap_process(const ChildProcess& child) noexcept {
    int status = 0;
    pid_t r = 0;
    do {
        r = ::waitpid(child.pid, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r != child.pid) {
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace wsx::net
