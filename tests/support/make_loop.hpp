// A new event loop for a test, or a failed expectation (and null) if one cannot be made.
#pragma once

#include <memory>

#include <gtest/gtest.h>

#include "wsx/net/loop.hpp"

namespace wsx::test {

inline std::unique_ptr<net::Loop> make_loop() {
    auto loop = net::Loop::create();
    EXPECT_TRUE(loop);
    return loop ? std::move(*loop) : nullptr;
}

}  // namespace wsx::test
