// wsx::Result<T>: a value or a std::error_code, shaped like C++23 std::expected (which g++ 12
// lacks in C++20). The library never throws: every fallible call returns one of these or a bare
// std::error_code.
//
//     wsx::Result<int> r = parse_port("9998");
//     if (!r) { log(r.error().message()); return; }
//     use(*r);
#pragma once

#include <cassert>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace wsx {

/// A value of type T or the std::error_code that explains why there is none.
/// Distinct objects safe, shared objects unsafe (like any value type).
template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit

    Result(std::error_code error) : v_(std::in_place_index<1>, error) {  // NOLINT: implicit
        assert(error);
    }

    template <class E>

    requires std::is_error_code_enum_v<E> Result(E error)
        : Result(std::error_code(make_error_code(error))) {}  // NOLINT: implicit

    [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }

    explicit operator bool() const noexcept { return has_value(); }

    [[nodiscard]] T& value() & { return std::get<0>(v_); }

    [[nodiscard]] const T& value() const& { return std::get<0>(v_); }

    [[nodiscard]] T&& value() && { return std::get<0>(std::move(v_)); }

    T& operator*() & { return value(); }

    const T& operator*() const& { return value(); }

    T&& operator*() && { return std::move(*this).value(); }

    T* operator->() { return &value(); }

    const T* operator->() const { return &value(); }

    /// The error; an empty std::error_code when there is a value.
    [[nodiscard]] std::error_code error() const noexcept {
        return has_value() ? std::error_code() : std::get<1>(v_);
    }

private:
    std::variant<T, std::error_code> v_;
};

}  // namespace wsx
