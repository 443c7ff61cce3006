// The line editor of `wsx connect` on a terminal: keystrokes in, finished lines and the bytes
// that redraw the line out. It does no I/O (connect/terminal.hpp does), so it is tested by
// feeding it keys.
//
// Written here rather than taken from libedit: the client's loop owns stdin (epoll) and prints
// messages while a line is being typed, so the editor must take bytes when the loop has them and
// redraw around output it did not write. libedit's readline emulation has the callback mode for
// the first (rl_callback_read_char) but no dependable way to hide and restore a half-typed line
// around asynchronous output; what is needed here is small (one line, emacs keys, history).
//
// Keys: printable text (UTF-8) is inserted at the cursor; Enter ends the line; Backspace,
// Delete / Ctrl-D (Ctrl-D on an empty line: end of input); Left / Right / Ctrl-B / Ctrl-F,
// Home / End / Ctrl-A / Ctrl-E, Alt-B / Alt-F by word; Up / Down / Ctrl-P / Ctrl-N through the
// history; Ctrl-U / Ctrl-K kill to the start / end, Ctrl-W / Alt-Backspace the word before,
// Alt-D the word after; Ctrl-L clears the screen. A line longer than the terminal scrolls
// sideways. Each code point is taken as one column wide.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace wsx::tools {

class LineEditor {
public:
    explicit LineEditor(std::string prompt, std::size_t history_limit = 1000);

    struct Input {
        std::vector<std::string> lines;  // ended with Enter, in order
        bool end = false;                // Ctrl-D on an empty line
    };

    // Takes bytes read from the terminal; an escape sequence split between reads is kept.
    [[nodiscard]] Input feed(std::string_view keys);

    // The bytes that draw the prompt and the line, with the cursor in place, on a terminal
    // `columns` wide (the part around the cursor when the line is longer).
    [[nodiscard]] std::string render(std::size_t columns);

    // The bytes that erase the drawn line, for output printed in its place.
    [[nodiscard]] static std::string_view erase() { return "\r\x1b[K"; }

    [[nodiscard]] const std::string& prompt() const { return prompt_; }

    [[nodiscard]] const std::string& line() const { return line_; }

    [[nodiscard]] std::size_t cursor() const { return cursor_; }  // a byte offset in line()

    [[nodiscard]] const std::vector<std::string>& history() const { return history_; }

private:
    // Consumes one key (a byte, or a whole escape sequence) at keys[at]; returns its length, or
    // 0 when the sequence is incomplete.
    std::size_t key(std::string_view keys, std::size_t at, Input& in);
    std::size_t escape(std::string_view keys, std::size_t at);
    void control(char c, Input& in);
    void csi(std::string_view params, char final);
    void enter(Input& in);
    void insert(std::string_view text);
    void recall(int step);
    [[nodiscard]] std::size_t prev_char(std::size_t at) const;
    [[nodiscard]] std::size_t next_char(std::size_t at) const;
    [[nodiscard]] std::size_t prev_word(std::size_t at) const;
    [[nodiscard]] std::size_t next_word(std::size_t at) const;
    void erase_range(std::size_t from, std::size_t to);

    std::string prompt_;
    std::size_t history_limit_;
    std::string line_;
    std::size_t cursor_ = 0;
    std::string pending_;                // an escape sequence not yet complete
    std::vector<std::string> history_;   // oldest first
    std::vector<std::string> browsing_;  // history plus the line being typed, while browsing
    std::size_t browse_at_ = 0;
    std::size_t scroll_ = 0;  // the first code point shown
    bool after_cr_ = false;   // "\r\n" is one Enter
    bool clear_screen_ = false;
};

}  // namespace wsx::tools
