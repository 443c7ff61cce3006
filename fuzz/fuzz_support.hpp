// Shared by the fuzz targets: feed an endpoint in the chunk sizes the input's first byte picks,
// and describe its events, so a target can compare whole and split runs.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "support/echo_harness.hpp"

namespace wsx::fuzz {

/// Stops the run (libFuzzer saves the input) when an outcome the documentation does not allow
/// happens, naming it.
inline void require(bool ok, const char* what) {
    if (!ok) {
        std::fputs(what, stderr);
        std::fputc('\n', stderr);
        __builtin_trap();
    }
}

}  // namespace wsx::fuzz
