// Checkpoint text shared by the detector and the night tracker: whitespace-separated tokens in a fixed order.
#pragma once

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>

namespace hypnic::state_text {

/// Appends tokens. Doubles are written with 17 significant digits, so every finite value (and
/// ±infinity) reads back bit for bit; "-" stands for an absent optional.
class Writer {
public:
    void num(double x) {
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.17g ", x);
        s_ += buf;
    }
    void integer(long long x) { s_ += std::to_string(x) + ' '; }
    void opt(const std::optional<double>& x) {
        if (x && std::isfinite(*x))
            num(*x);
        else
            s_ += "- ";
    }
    void word(const char* w) { s_ += std::string(w) + ' '; }
    const std::string& str() const { return s_; }

private:
    std::string s_;
};

/// Reads what Writer wrote. Any malformed token makes ok() false and every later read returns a
/// harmless default, so a caller checks ok() once at the end and then discards everything read.
class Reader {
public:
    explicit Reader(const std::string& s) : in_(s) {}

    /// A finite number.
    double num() {
        const auto x = token_number();
        if (!x || !std::isfinite(*x)) return fail();
        return *x;
    }
    /// A whole number in [lo, hi].
    long long integer(long long lo, long long hi) {
        std::string t;
        if (!ok_ || !(in_ >> t)) {
            fail();
            return lo;
        }
        char* end = nullptr;
        errno = 0;
        const long long x = std::strtoll(t.c_str(), &end, 10);
        if (end == t.c_str() || *end != 0 || errno == ERANGE || x < lo || x > hi) {
            fail();
            return lo;
        }
        return x;
    }
    bool flag() { return integer(0, 1) == 1; }
    std::optional<double> opt() {
        std::string t;
        if (!ok_ || !(in_ >> t)) {
            fail();
            return std::nullopt;
        }
        if (t == "-") return std::nullopt;
        const auto x = parse(t);
        if (!x || !std::isfinite(*x)) {
            fail();
            return std::nullopt;
        }
        return x;
    }
    bool word(const char* w) {
        std::string t;
        if (!ok_ || !(in_ >> t) || t != w) fail();
        return ok_;
    }
    /// Peeks whether the next token is `w` and consumes it only then.
    bool next_is(const char* w) {
        if (!ok_) return false;
        const auto pos = in_.tellg();
        std::string t;
        if (in_ >> t && t == w) return true;
        in_.clear();
        in_.seekg(pos);
        return false;
    }
    /// A count of following records, bounded so that a corrupt blob cannot ask for the moon.
    std::size_t count(std::size_t max = 1000000) { return static_cast<std::size_t>(integer(0, static_cast<long long>(max))); }
    bool ok() const { return ok_; }
    /// Marks the text as unusable (a value read was valid on its own but not in its context).
    void reject() { ok_ = false; }

private:
    static std::optional<double> parse(const std::string& t) {
        char* end = nullptr;
        const double x = std::strtod(t.c_str(), &end);
        if (end == t.c_str() || *end != 0) return std::nullopt;
        return x;
    }
    std::optional<double> token_number() {
        std::string t;
        if (!ok_ || !(in_ >> t)) return std::nullopt;
        return parse(t);
    }
    double fail() {
        ok_ = false;
        return 0;
    }
    std::istringstream in_;
    bool ok_ = true;
};

}  // namespace hypnic::state_text
