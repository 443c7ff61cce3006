// UniqueFd; see unique_fd.hpp.
#include "wsx/net/unique_fd.hpp"

#include <unistd.h>

namespace wsx::net {

void UniqueFd::reset(int fd) noexcept {
    if (fd_ >= 0) {
        ::close(fd_);  // close() is not retried on EINTR on Linux: the fd is gone either way
    }
    fd_ = fd;
}

}  // namespace wsx::net
