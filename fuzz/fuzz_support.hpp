// Shared by the fuzz targets: feed an endpoint in the chunk sizes the input's first byte picks,
// and describe its events, so a target can compare whole and split runs.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "support/echo_harness.hpp"

namespace wsx::fuzz {

/// Stops the run with a report: an outcome the documentation does not allow.
[[noreturn]] inline void violation(const char* what) {
    __builtin_trap();
    (void)what;
}

inline void require(bool ok, const char* what) {
    if (!ok) {
        violation(what);
    }
}

}  // namespace wsx::fuzz
