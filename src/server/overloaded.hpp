// Overloaded: a visitor made of lambdas, for std::visit over the protocol core's event variants.
// Rule: nothing else here.
#pragma once

namespace wsx::detail {

template <class... Fs>
struct Overloaded : Fs... {
    using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace wsx::detail
