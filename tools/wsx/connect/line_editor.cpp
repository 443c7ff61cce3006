// The line editor; see line_editor.hpp.
#include "connect/line_editor.hpp"

#include <algorithm>
#include <utility>

namespace wsx::tools {
namespace {

constexpr char kEsc = '\x1b';
constexpr std::size_t kMaxEscape = 32;  // longer: not a key (garbage is dropped, not kept)

bool printable(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u != 0x7f;
}

bool continuation(char c) {
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

char ctrl(char letter) {
    return static_cast<char>(letter & 0x1f);
}

}  // namespace

LineEditor::LineEditor(std::string prompt, std::size_t history_limit)
    : prompt_(std::move(prompt)), history_limit_(std::max<std::size_t>(history_limit, 1)) {}

LineEditor::Input LineEditor::feed(std::string_view keys) {
    Input in;
    std::string joined;
    if (!pending_.empty()) {
        joined = std::exchange(pending_, {});
        joined.append(keys);
        keys = joined;
    }
    std::size_t at = 0;
    while (at < keys.size()) {
        std::size_t run = at;
        while (run < keys.size() && printable(keys[run])) {
            ++run;
        }
        if (run > at) {  // text, inserted in one piece
            insert(keys.substr(at, run - at));
            at = run;
            continue;
        }
        const std::size_t n = key(keys, at, in);
        if (n == 0) {
            pending_.assign(keys.substr(at));
            break;
        }
        at += n;
    }
    return in;
}

std::size_t LineEditor::key(std::string_view keys, std::size_t at, Input& in) {
    const char c = keys[at];
    if (c == kEsc) {
        after_cr_ = false;
        return escape(keys, at);
    }
    if (c == '\n' && after_cr_) {
        after_cr_ = false;
        return 1;
    }
    after_cr_ = c == '\r';
    control(c, in);
    return 1;
}

// ESC [ params intermediates final (CSI), ESC O final (SS3), or ESC and one key (Alt-key).
std::size_t LineEditor::escape(std::string_view keys, std::size_t at) {
    if (at + 1 >= keys.size()) {
        return 0;
    }
    const char c = keys[at + 1];
    if (c == '[' || c == 'O') {
        std::size_t i = at + 2;
        while (c == '[' && i < keys.size() && keys[i] >= 0x30 && keys[i] <= 0x3f) {
            ++i;
        }
        const std::size_t params_end = i;
        while (c == '[' && i < keys.size() && keys[i] >= 0x20 && keys[i] <= 0x2f) {
            ++i;
        }
        if (i >= keys.size()) {
            return i - at > kMaxEscape ? i - at : 0;
        }
        csi(keys.substr(at + 2, params_end - at - 2), keys[i]);
        return i + 1 - at;
    }
    switch (c) {
        case 'b':
        case 'B':
            cursor_ = prev_word(cursor_);
            break;
        case 'f':
        case 'F':
            cursor_ = next_word(cursor_);
            break;
        case 'd':
        case 'D':
            erase_range(cursor_, next_word(cursor_));
            break;
        case '\x7f':
        case '\b':
            erase_range(prev_word(cursor_), cursor_);
            break;
        default:
            break;
    }
    return 2;
}

void LineEditor::csi(std::string_view params, char final) {
    // "1;5C" is Ctrl-Right, "1;3C" Alt-Right: by word.
    const bool by_word = params.ends_with(";5") || params.ends_with(";3");
    switch (final) {
        case 'A':
            recall(-1);
            break;
        case 'B':
            recall(+1);
            break;
        case 'C':
            cursor_ = by_word ? next_word(cursor_) : next_char(cursor_);
            break;
        case 'D':
            cursor_ = by_word ? prev_word(cursor_) : prev_char(cursor_);
            break;
        case 'H':
            cursor_ = 0;
            break;
        case 'F':
            cursor_ = line_.size();
            break;
        case '~':
            if (params == "1" || params == "7") {
                cursor_ = 0;
            } else if (params == "4" || params == "8") {
                cursor_ = line_.size();
            } else if (params == "3") {
                erase_range(cursor_, next_char(cursor_));
            }
            break;  // others (bracketed paste marks 200~ / 201~, F-keys): nothing
        default:
            break;
    }
}

void LineEditor::control(char c, Input& in) {
    if (c == '\r' || c == '\n') {
        enter(in);
    } else if (c == ctrl('A')) {
        cursor_ = 0;
    } else if (c == ctrl('E')) {
        cursor_ = line_.size();
    } else if (c == ctrl('B')) {
        cursor_ = prev_char(cursor_);
    } else if (c == ctrl('F')) {
        cursor_ = next_char(cursor_);
    } else if (c == '\x7f' || c == ctrl('H')) {
        erase_range(prev_char(cursor_), cursor_);
    } else if (c == ctrl('D')) {
        if (line_.empty()) {
            in.end = true;
        } else {
            erase_range(cursor_, next_char(cursor_));
        }
    } else if (c == ctrl('K')) {
        erase_range(cursor_, line_.size());
    } else if (c == ctrl('U')) {
        erase_range(0, cursor_);
    } else if (c == ctrl('W')) {
        erase_range(prev_word(cursor_), cursor_);
    } else if (c == ctrl('L')) {
        clear_screen_ = true;
    } else if (c == ctrl('P')) {
        recall(-1);
    } else if (c == ctrl('N')) {
        recall(+1);
    }  // other control bytes (Tab, Ctrl-G, ...): nothing
}

void LineEditor::enter(Input& in) {
    if (!line_.empty() && (history_.empty() || history_.back() != line_)) {
        history_.push_back(line_);
        if (history_.size() > history_limit_) {
            history_.erase(history_.begin());
        }
    }
    in.lines.push_back(std::exchange(line_, {}));
    cursor_ = 0;
    scroll_ = 0;
    browsing_.clear();
}

void LineEditor::insert(std::string_view text) {
    after_cr_ = false;
    line_.insert(cursor_, text);
    cursor_ += text.size();
}

// Up (-1) or down (+1) the history; the line being typed is its newest entry, and an entry
// edited keeps its edit until the line is ended.
void LineEditor::recall(int step) {
    if (history_.empty()) {
        return;
    }
    if (browsing_.empty()) {
        browsing_ = history_;
        browsing_.push_back(line_);
        browse_at_ = history_.size();
    }
    const std::size_t to = step < 0 ? (browse_at_ == 0 ? 0 : browse_at_ - 1)
                                    : std::min(browse_at_ + 1, browsing_.size() - 1);
    if (to == browse_at_) {
        return;
    }
    browsing_[browse_at_] = line_;
    browse_at_ = to;
    line_ = browsing_[to];
    cursor_ = line_.size();
}

std::size_t LineEditor::prev_char(std::size_t at) const {
    while (at > 0) {
        --at;
        if (!continuation(line_[at])) {
            break;
        }
    }
    return at;
}

std::size_t LineEditor::next_char(std::size_t at) const {
    if (at < line_.size()) {
        ++at;
    }
    while (at < line_.size() && continuation(line_[at])) {
        ++at;
    }
    return at;
}

std::size_t LineEditor::prev_word(std::size_t at) const {
    while (at > 0 && line_[at - 1] == ' ') {
        --at;
    }
    while (at > 0 && line_[at - 1] != ' ') {
        --at;
    }
    return at;
}

std::size_t LineEditor::next_word(std::size_t at) const {
    while (at < line_.size() && line_[at] == ' ') {
        ++at;
    }
    while (at < line_.size() && line_[at] != ' ') {
        ++at;
    }
    return at;
}

void LineEditor::erase_range(std::size_t from, std::size_t to) {
    if (from < to) {
        line_.erase(from, to - from);
        cursor_ = from;
    }
}

std::string LineEditor::render(std::size_t columns) {
    std::vector<std::size_t> starts;  // byte offset of each code point, then the end
    for (std::size_t i = 0; i < line_.size(); ++i) {
        if (!continuation(line_[i])) {
            starts.push_back(i);
        }
    }
    const std::size_t total = starts.size();
    starts.push_back(line_.size());
    const auto at = static_cast<std::size_t>(std::lower_bound(starts.begin(), starts.end(), cursor_)
                                             - starts.begin());
    const std::size_t width =
            columns > prompt_.size() + 1 ? columns - prompt_.size() - 1 : std::size_t{1};
    scroll_ = std::min(scroll_, total > width ? total - width : 0);
    if (at < scroll_) {
        scroll_ = at;
    } else if (at > scroll_ + width) {
        scroll_ = at - width;
    }
    const std::size_t begin = starts[scroll_];
    const std::size_t end = starts[std::min(total, scroll_ + width)];
    std::string out = std::exchange(clear_screen_, false) ? "\x1b[H\x1b[2J\r" : "\r";
    out += prompt_;
    out.append(line_, begin, end - begin);
    out += "\x1b[K\r";
    const std::size_t column = prompt_.size() + at - scroll_;
    if (column > 0) {
        out += "\x1b[";
        out += std::to_string(column);
        out += 'C';
    }
    return out;
}

}  // namespace wsx::tools
