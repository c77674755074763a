// Pre-scan of hostile YAML and an event-driven tree builder on top of yaml-cpp's parser.
#include "config/yaml_tree.hpp"

#include <yaml-cpp/anchor.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <sstream>

namespace hypnic::config_detail {

namespace {

std::string hex_byte(unsigned char c) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02X", static_cast<unsigned>(c));
    return buf;
}

// Length of the UTF-8 sequence starting at s[i], or 0 when it is malformed.
std::size_t utf8_length(const std::string& s, std::size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    unsigned min = 0;
    unsigned cp = 0;
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) { n = 2; min = 0x80; cp = c & 0x1Fu; }
    else if ((c & 0xF0) == 0xE0) { n = 3; min = 0x800; cp = c & 0x0Fu; }
    else if ((c & 0xF8) == 0xF0) { n = 4; min = 0x10000; cp = c & 0x07u; }
    else return 0;
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        const auto d = static_cast<unsigned char>(s[i + k]);
        if ((d & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (d & 0x3Fu);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not valid UTF-8.
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

// Binary junk: NUL bytes, control characters YAML forbids, invalid UTF-8. Reports the first one only,
// since a binary file would otherwise give thousands of lines of noise.
bool scan_bytes(const std::string& text, std::vector<YamlProblem>& out) {
    int line = 1;
    int col = 1;
    std::size_t i = 0;
    // A UTF-8 byte order mark is allowed at the very start.
    if (text.rfind("\xEF\xBB\xBF", 0) == 0) i = 3;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '\n') {
            ++line;
            col = 1;
            ++i;
            continue;
        }
        if (c == 0) {
            out.push_back({line, col, "the file contains a NUL byte: this looks like binary data, not YAML text"});
            return false;
        }
        if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7F) {
            out.push_back({line, col, "the file contains the control character " + hex_byte(c) +
                                          ": this looks like binary data, not YAML text"});
            return false;
        }
        const std::size_t n = utf8_length(text, i);
        if (n == 0) {
            out.push_back({line, col, "invalid UTF-8 byte " + hex_byte(c) + ": the configuration must be UTF-8 text"});
            return false;
        }
        i += n;
        ++col;
    }
    return true;
}

// Splits into lines without the line break (and without a trailing '\r').
std::vector<std::string_view> split_lines(const std::string& text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string_view l(text.data() + start, end - start);
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        lines.push_back(l);
        if (end == text.size()) break;
        start = end + 1;
    }
    return lines;
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Nesting-depth estimate: block indentation levels (one per distinct deeper indent, one per "- "
// sequence entry) plus open flow brackets. Conservative on purpose: it only has to keep yaml-cpp's
// recursive parser away from inputs deep enough to hurt, never reject a plausible configuration.
class DepthScanner {
public:
    // Returns false (and fills `p`) when the depth limit is exceeded on this line.
    bool line(std::string_view l, int line_no, YamlProblem& p) {
        std::size_t pos = 0;
        if (in_quote_ != 0) {
            pos = skip_quoted_rest(l, 0);
            if (in_quote_ != 0) return true;
        } else if (flow_ == 0) {
            std::size_t indent = 0;
            while (indent < l.size() && l[indent] == ' ') ++indent;
            if (indent == l.size() || l[indent] == '#') return true;  // blank or comment line
            if (block_scalar_indent_ >= 0) {
                if (static_cast<int>(indent) > block_scalar_indent_) return true;  // literal text
                block_scalar_indent_ = -1;
            }
            while (!stack_.empty() && stack_.back() >= indent) stack_.pop_back();
            stack_.push_back(indent);
            line_indent_ = static_cast<int>(indent);
            pos = indent;
            // Each "- " opens one more level (a sequence entry, then its content).
            while (pos < l.size() && (l[pos] == '-' || l[pos] == '?') &&
                   (pos + 1 == l.size() || is_blank(l[pos + 1]))) {
                ++pos;
                while (pos < l.size() && is_blank(l[pos])) ++pos;
                stack_.push_back(pos);
                if (!check(line_no, static_cast<int>(pos) + 1, p)) return false;
            }
            if (!check(line_no, static_cast<int>(pos) + 1, p)) return false;
            pos = block_value(l, pos);
            if (pos >= l.size()) return true;
        }
        return flow(l, pos, line_no, p);
    }

private:
    bool check(int line_no, int col, YamlProblem& p) const {
        if (static_cast<int>(stack_.size()) + flow_ <= MAX_NESTING_DEPTH) return true;
        p = {line_no, col,
             "nesting is deeper than " + std::to_string(MAX_NESTING_DEPTH) +
                 " levels; a hypnic configuration needs fewer than 10"};
        return false;
    }

    // Skips the rest of an open quoted scalar; returns the position after its closing quote.
    std::size_t skip_quoted_rest(std::string_view l, std::size_t pos) {
        while (pos < l.size()) {
            const char c = l[pos];
            if (in_quote_ == '"' && c == '\\') {
                pos += 2;
                continue;
            }
            if (c == in_quote_) {
                if (in_quote_ == '\'' && pos + 1 < l.size() && l[pos + 1] == '\'') {
                    pos += 2;
                    continue;
                }
                in_quote_ = 0;
                return pos + 1;
            }
            ++pos;
        }
        return pos;
    }

    static std::size_t skip_properties(std::string_view l, std::size_t pos) {
        // Anchors (&a) and tags (!t) may precede a value.
        while (pos < l.size() && (l[pos] == '&' || l[pos] == '!')) {
            while (pos < l.size() && !is_blank(l[pos])) ++pos;
            while (pos < l.size() && is_blank(l[pos])) ++pos;
        }
        return pos;
    }

    // In block context, finds where a flow collection starts on this line (or l.size() if none) and
    // notes block scalars, whose content lines are literal text.
    std::size_t block_value(std::string_view l, std::size_t pos) {
        for (int part = 0; part < 2; ++part) {
            pos = skip_properties(l, pos);
            if (pos >= l.size()) return pos;
            const char c = l[pos];
            if (c == '[' || c == '{') return pos;
            if (c == '#') return l.size();
            if (c == '|' || c == '>') {
                block_scalar_indent_ = line_indent_;
                return l.size();
            }
            if (c == '"' || c == '\'') {
                in_quote_ = c;
                pos = skip_quoted_rest(l, pos + 1);
                if (in_quote_ != 0) return l.size();
            }
            // Find the ": " that separates a key from its value.
            while (pos < l.size()) {
                if (l[pos] == ':' && (pos + 1 == l.size() || is_blank(l[pos + 1]))) break;
                if (l[pos] == '#' && pos > 0 && is_blank(l[pos - 1])) return l.size();
                ++pos;
            }
            if (pos >= l.size()) return pos;
            ++pos;
            while (pos < l.size() && is_blank(l[pos])) ++pos;
        }
        return l.size();
    }

    bool flow(std::string_view l, std::size_t pos, int line_no, YamlProblem& p) {
        char prev = ' ';
        while (pos < l.size()) {
            const char c = l[pos];
            if (c == '#' && is_blank(prev)) return true;
            if ((c == '"' || c == '\'') && (is_blank(prev) || prev == '[' || prev == '{' || prev == ',' ||
                                            prev == ':')) {
                in_quote_ = c;
                pos = skip_quoted_rest(l, pos + 1);
                if (in_quote_ != 0) return true;
                prev = c;
                continue;
            }
            if (c == '[' || c == '{') {
                ++flow_;
                if (!check(line_no, static_cast<int>(pos) + 1, p)) return false;
            } else if ((c == ']' || c == '}') && flow_ > 0) {
                --flow_;
            }
            prev = c;
            ++pos;
        }
        return true;
    }

    std::vector<std::size_t> stack_;
    int flow_ = 0;
    char in_quote_ = 0;
    int block_scalar_indent_ = -1;
    int line_indent_ = 0;
};

// Thrown by the builder to stop yaml-cpp's parser early.
struct StopParsing {};

class Builder : public YAML::EventHandler {
public:
    explicit Builder(YamlDocument& doc) : doc_(doc) {}

    void OnDocumentStart(const YAML::Mark& mark) override {
        if (++documents_ > 1) {
            doc_.problems.push_back({line_of(mark), col_of(mark),
                                     "a second YAML document ('---') starts here; the configuration must be "
                                     "one document"});
            throw StopParsing{};
        }
    }
    void OnDocumentEnd() override {}

    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        YNode& n = make(mark, YNode::Kind::null, anchor);
        n.complete = true;
        // yaml-cpp marks an empty value where the next token starts, often on a later line; the key
        // it belongs to is where a user looks.
        if (!stack_.empty() && stack_.back().node->kind == YNode::Kind::map && stack_.back().pending_key != nullptr) {
            n.line = stack_.back().pending_key->line;
            n.column = stack_.back().pending_key->column;
        }
        attach(n, mark);
    }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        if (anchor >= anchors_.size() || anchors_[anchor] == nullptr) {
            doc_.problems.push_back({line_of(mark), col_of(mark), "alias to an unknown anchor"});
            throw StopParsing{};
        }
        const YNode* target = anchors_[anchor];
        if (!target->complete) {
            doc_.problems.push_back({line_of(mark), col_of(mark),
                                     "alias refers to a node that contains it (a cycle); aliases must point "
                                     "to an earlier, finished node"});
            throw StopParsing{};
        }
        attach(*target, mark);
    }
    void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  const std::string& value) override {
        YNode& n = make(mark, YNode::Kind::scalar, anchor);
        n.value = value;
        // yaml-cpp tags plain scalars "?" and quoted or block scalars "!".
        n.quoted = tag == "!";
        n.complete = true;
        attach(n, mark);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        open(make(mark, YNode::Kind::sequence, anchor), mark);
    }
    void OnSequenceEnd() override { close(); }
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        open(make(mark, YNode::Kind::map, anchor), mark);
    }
    void OnMapEnd() override { close(); }

    static int line_of(const YAML::Mark& m) { return m.line >= 0 ? m.line + 1 : 0; }
    static int col_of(const YAML::Mark& m) { return m.column >= 0 ? m.column + 1 : 0; }

private:
    struct Open {
        YNode* node;
        const YNode* pending_key;
        YAML::Mark mark;
    };

    YNode& make(const YAML::Mark& mark, YNode::Kind kind, YAML::anchor_t anchor) {
        YNode& n = doc_.nodes.emplace_back();
        n.kind = kind;
        n.line = line_of(mark);
        n.column = col_of(mark);
        if (anchor != YAML::NullAnchor) {
            if (anchors_.size() <= anchor) anchors_.resize(anchor + 1, nullptr);
            anchors_[anchor] = &n;
        }
        return n;
    }

    void attach(const YNode& n, const YAML::Mark& mark) {
        if (stack_.empty()) {
            doc_.root = &n;
            return;
        }
        Open& top = stack_.back();
        if (top.node->kind == YNode::Kind::sequence) {
            top.node->items.push_back(&n);
        } else if (top.pending_key == nullptr) {
            top.pending_key = &n;
        } else {
            top.node->pairs.emplace_back(top.pending_key, &n);
            top.pending_key = nullptr;
        }
        // Counting expanded nodes bounds the work of anything that later walks the tree.
        std::uint64_t& e = top.node->expanded;
        e = (e > MAX_EXPANDED_NODES || n.expanded > MAX_EXPANDED_NODES) ? MAX_EXPANDED_NODES + 1 : e + n.expanded;
        if (e > MAX_EXPANDED_NODES) {
            doc_.problems.push_back({line_of(mark), col_of(mark),
                                     "aliases expand the document to more than " +
                                         std::to_string(MAX_EXPANDED_NODES) +
                                         " nodes (an alias bomb?); write the values out instead"});
            throw StopParsing{};
        }
    }

    void open(YNode& n, const YAML::Mark& mark) { stack_.push_back({&n, nullptr, mark}); }

    void close() {
        Open o = stack_.back();
        stack_.pop_back();
        o.node->complete = true;
        attach(*o.node, o.mark);
    }

    YamlDocument& doc_;
    std::vector<Open> stack_;
    std::vector<const YNode*> anchors_;
    int documents_ = 0;
};

}  // namespace

std::vector<YamlProblem> prescan_yaml(const std::string& text) {
    std::vector<YamlProblem> out;
    if (text.size() > MAX_CONFIG_BYTES) {
        out.push_back({0, 0, "the configuration is " + std::to_string(text.size()) + " bytes; the limit is " +
                                 std::to_string(MAX_CONFIG_BYTES) + " bytes (1 MiB)"});
        return out;
    }
    if (!scan_bytes(text, out)) return out;

    const auto lines = split_lines(text);
    constexpr std::size_t MAX_TAB_REPORTS = 20;
    std::size_t tabs = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string_view l = lines[i];
        const std::size_t first = l.find_first_not_of(" \t");
        if (first == std::string_view::npos) continue;
        const std::size_t tab = l.substr(0, first).find('\t');
        if (tab == std::string_view::npos) continue;
        if (++tabs <= MAX_TAB_REPORTS)
            out.push_back({static_cast<int>(i) + 1, static_cast<int>(tab) + 1,
                           "tab character in the indentation; YAML indents with spaces only"});
    }
    if (!out.empty()) return out;

    DepthScanner depth;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        YamlProblem p;
        if (!depth.line(lines[i], static_cast<int>(i) + 1, p)) {
            out.push_back(p);
            break;
        }
    }
    return out;
}

YamlDocument parse_yaml(const std::string& text) {
    YamlDocument doc;
    doc.problems = prescan_yaml(text);
    if (!doc.problems.empty()) return doc;
    try {
        std::istringstream in(text);
        YAML::Parser parser(in);
        Builder builder(doc);
        if (parser.HandleNextDocument(builder)) parser.HandleNextDocument(builder);
    } catch (const StopParsing&) {
        doc.root = nullptr;
    } catch (const YAML::ParserException& e) {
        doc.root = nullptr;
        doc.problems.push_back({e.mark.line >= 0 ? e.mark.line + 1 : 0, e.mark.column >= 0 ? e.mark.column + 1 : 0,
                                "YAML syntax error: " + e.msg});
    } catch (const std::exception& e) {
        doc.root = nullptr;
        doc.problems.push_back({0, 0, std::string("could not parse the YAML: ") + e.what()});
    }
    return doc;
}

}  // namespace hypnic::config_detail
