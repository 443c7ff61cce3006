// `wsx connect`'s terminal: raw input for the line editor (connect/line_editor.hpp), the line
// redrawn after each key, and hidden around whatever the client prints meanwhile.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <termios.h>

#include "connect/line_editor.hpp"

namespace wsx::tools {

class Terminal {
public:
    Terminal() = default;
    Terminal(const Terminal&) = delete;
    Terminal& operator=(const Terminal&) = delete;

    ~Terminal() { stop(); }

    // Takes stdin out of line mode (no echo, keys as typed; Ctrl-C and Ctrl-Z still signal)
    // and draws the prompt on stdout. False, with nothing changed, unless both are terminals
    // (and TERM is not "dumb").
    bool start(std::string prompt);
    // Erases the line and gives the terminal back as it was. Idempotent.
    void stop();

    [[nodiscard]] bool active() const { return editor_.has_value(); }

    // Keys read from stdin: the lines they end are shown as typed, on a line of their own; the
    // line being typed is redrawn.
    [[nodiscard]] LineEditor::Input feed(std::string_view keys);

    // Output between hide() and show() appears above the line being typed. Nested pairs are
    // one; both do nothing when the terminal is not active.
    void hide();
    void show();

    class Guard {
    public:
        explicit Guard(Terminal& t) : t_(t) { t_.hide(); }

        Guard(const Guard&) = delete;
        Guard& operator=(const Guard&) = delete;

        ~Guard() { t_.show(); }

    private:
        Terminal& t_;
    };

    [[nodiscard]] Guard guard() { return Guard(*this); }

private:
    void draw();

    std::optional<LineEditor> editor_;
    termios saved_{};
    int hidden_ = 0;
};

}  // namespace wsx::tools
