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

/// The oracle of the endpoint targets: runs `run(input, chunk, output)` on the input fed whole
/// (chunk 0) and split in the piece size its first byte picks (1-32), and requires `same` to
/// hold between the two outcomes (events and output).
template <class Run, class Same>
int whole_vs_split(const std::uint8_t* data, std::size_t size, Run run, Same same) {
    if (size == 0) {
        return 0;
    }
    const std::size_t chunk = 1 + data[0] % 32;
    const std::string input(reinterpret_cast<const char*>(data + 1), size - 1);
    std::string whole_out;
    std::string split_out;
    const auto whole = run(input, 0, whole_out);
    const auto split = run(input, chunk, split_out);
    require(whole == split && same(whole_out, split_out), "split changed the outcome");
    return 0;
}

}  // namespace wsx::fuzz
