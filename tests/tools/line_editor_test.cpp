// wsx connect's line editor: keys in (as a terminal sends them), lines and redraws out.
#include "connect/line_editor.hpp"

#include <gtest/gtest.h>

namespace wsx::tools {
namespace {

constexpr const char* kLeft = "\x1b[D";
constexpr const char* kRight = "\x1b[C";
constexpr const char* kUp = "\x1b[A";
constexpr const char* kDown = "\x1b[B";

std::vector<std::string> lines(LineEditor& e, std::string_view keys) {
    return e.feed(keys).lines;
}

TEST(LineEditor, TextAndEnterMakeALineAndCrLfIsOneEnter) {
    LineEditor e("> ");
    EXPECT_TRUE(lines(e, "hello").empty());
    EXPECT_EQ(e.line(), "hello");
    EXPECT_EQ(lines(e, "\r"), std::vector<std::string>{"hello"});
    EXPECT_EQ(lines(e, "a\r\nb\n"), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(lines(e, "\r\r"), (std::vector<std::string>{"", ""}));  // two Enters, two lines
    EXPECT_EQ(e.line(), "");
}

TEST(LineEditor, CursorMovesAndEditsInTheMiddle) {
    LineEditor e("> ");
    (void)e.feed(std::string("abd") + kLeft + "c");
    EXPECT_EQ(e.line(), "abcd");
    EXPECT_EQ(e.cursor(), 3U);
    (void)e.feed(
            "\x01"
            "X");  // Ctrl-A, then text at the start
    EXPECT_EQ(e.line(), "Xabcd");
    (void)e.feed(
            "\x05"
            "\x7f");  // Ctrl-E, Backspace
    EXPECT_EQ(e.line(), "Xabc");
    (void)e.feed("\x1b[H\x1b[3~");  // Home, Delete
    EXPECT_EQ(e.line(), "abc");
    (void)e.feed(std::string(kRight) + "\x0b");  // Right, Ctrl-K
    EXPECT_EQ(e.line(), "a");
    (void)e.feed("\x1bOF ok\x15");  // End (SS3), " ok", Ctrl-U
    EXPECT_EQ(e.line(), "");
}

TEST(LineEditor, WordsAreKilledAndCrossed) {
    LineEditor e("> ");
    (void)e.feed("one two  three\x17");  // Ctrl-W
    EXPECT_EQ(e.line(), "one two  ");
    (void)e.feed(
            "\x1b"
            "b"
            "\x1b"
            "d");  // Alt-B to "two", Alt-D kills it
    EXPECT_EQ(e.line(), "one   ");
    (void)e.feed("\x1b[1;5D");  // Ctrl-Left: to "one"
    EXPECT_EQ(e.cursor(), 0U);
    (void)e.feed(
            "\x1b[1;5C"
            "!");
    EXPECT_EQ(e.line(), "one!   ");
}

TEST(LineEditor, Utf8IsMovedOverAndErasedByCodePoint) {
    LineEditor e("> ");
    (void)e.feed("κόσμε");  // 5 code points, 11 bytes
    (void)e.feed(std::string(kLeft) + kLeft + "\x7f");
    EXPECT_EQ(e.line(), "κόμε");
    (void)e.feed("\x04");  // Ctrl-D in a line deletes the code point under the cursor
    EXPECT_EQ(e.line(), "κόε");
    EXPECT_EQ(e.render(80), "\r> κόε\x1b[K\r\x1b[4C");  // prompt 2 + 2 code points
}

TEST(LineEditor, HistoryIsBrowsedAndAnEditedEntryKeptUntilEnter) {
    LineEditor e("> ");
    (void)e.feed("first\rsecond\rsecond\r");
    EXPECT_EQ(e.history(), (std::vector<std::string>{"first", "second"}));  // no repeat
    (void)e.feed("draft");
    (void)e.feed(kUp);
    EXPECT_EQ(e.line(), "second");
    (void)e.feed(std::string(kUp) + kUp);  // stops at the oldest
    EXPECT_EQ(e.line(), "first");
    (void)e.feed("!");
    (void)e.feed(std::string(kDown) + kUp);
    EXPECT_EQ(e.line(), "first!");
    (void)e.feed(std::string(kDown) + kDown);
    EXPECT_EQ(e.line(), "draft");
    (void)e.feed("\x10");  // Ctrl-P
    EXPECT_EQ(lines(e, "\r"), std::vector<std::string>{"second"});
    EXPECT_EQ(e.history().back(), "second");
    (void)e.feed(kUp);
    (void)e.feed(kUp);
    EXPECT_EQ(e.line(), "first");  // the edit was dropped with the line that was ended
}

TEST(LineEditor, HistoryKeepsItsLimit) {
    LineEditor e("> ", 2);
    (void)e.feed("a\rb\rc\r");
    EXPECT_EQ(e.history(), (std::vector<std::string>{"b", "c"}));
}

TEST(LineEditor, EscapeSequencesSplitBetweenReadsAndUnknownOnesIgnored) {
    LineEditor e("> ");
    (void)e.feed("ab\x1b");
    (void)e.feed("[");
    EXPECT_EQ(e.line(), "ab");
    (void)e.feed("Dc");
    EXPECT_EQ(e.line(), "acb");
    (void)e.feed(
            "\x1b[200~x\x1b[201~\x1b[15~\x1b[99Z\t\x07");  // paste marks, F5, unknown, Tab, Bell
    EXPECT_EQ(e.line(), "acxb");
    (void)e.feed("\x1b[" + std::string(40, '1'));  // no final byte within 32: dropped
    (void)e.feed("y");
    EXPECT_EQ(e.line(), "acxyb");
}

TEST(LineEditor, CtrlDOnAnEmptyLineEndsTheInput) {
    LineEditor e("> ");
    EXPECT_FALSE(e.feed("x\x7f").end);
    const LineEditor::Input in = e.feed("last\r\x04");
    EXPECT_EQ(in.lines, std::vector<std::string>{"last"});
    EXPECT_TRUE(in.end);
}

TEST(LineEditor, ALongLineScrollsToKeepTheCursorInView) {
    LineEditor e("> ");
    (void)e.feed("0123456789abcdefghij");                      // 20 characters, 12 columns
    EXPECT_EQ(e.render(12), "\r> bcdefghij\x1b[K\r\x1b[11C");  // the last 9 shown, cursor after
    (void)e.feed("\x01");
    EXPECT_EQ(e.render(12), "\r> 012345678\x1b[K\r\x1b[2C");
    (void)e.feed("\x0c");  // Ctrl-L: the screen is cleared first
    EXPECT_EQ(e.render(12).substr(0, 9), "\x1b[H\x1b[2J\r>");
    EXPECT_EQ(e.render(12).substr(0, 2), "\r>");
}

}  // namespace
}  // namespace wsx::tools
