// Child processes for executable handlers: spawned with posix_spawn, stdin/stdout/stderr as
// non-blocking pipes on our side, and a pidfd that becomes readable when the child exits (so the
// loop notices the exit without SIGCHLD). Moves bytes and signals only.
#pragma once

#include <string>
#include <vector>

#include <sys/types.h>

#include "wsx/net/unique_fd.hpp"
#include "wsx/result.hpp"

namespace wsx::net {

struct ProcessSpec {
    std::string path;               // executable
    std::vector<std::string> argv;  // argv[0] included
    std::vector<std::string> env;   // "NAME=value"
    std::string cwd;                // empty: inherit
    /// A fourth pipe, the child's fd 3, that the child writes to and we read (control_fd).
    bool control_pipe = false;
};

/// A spawned child. Destroying it does not kill or reap the child: call kill() and reap().
struct ChildProcess {
    pid_t pid = -1;
    UniqueFd stdin_fd;    // write end, non-blocking
    UniqueFd stdout_fd;   // read end, non-blocking
    UniqueFd stderr_fd;   // read end, non-blocking
    UniqueFd control_fd;  // read end of the child's fd 3, non-blocking (ProcessSpec::control_pipe)
    UniqueFd pidfd;       // readable once the child has exited
};

/// Spawns `spec` with default signal dispositions and an empty signal mask (whatever this process
/// blocks or ignores). Errors: the failing system call's errno.
[[nodiscard]] Result<ChildProcess> spawn_process(const ProcessSpec& spec);

/// Sends `signal` to the child (through its pidfd, so a reused pid is never hit).
void signal_process(const ChildProcess& child, int signal) noexcept;

/// Reaps an exited child: its exit status (0-255), 128 + signal if killed, or -1 if it has not
/// exited yet.
[[nodiscard]] int reap_process(const ChildProcess& child) noexcept;

}  // namespace wsx::net
