// Civil-date arithmetic and ISO-8601 formatting on top of the Zone interface.
#include "plugin/time.hpp"

#include <cmath>
#include <cstdio>

namespace hypnic {

namespace {
using std::chrono::days;
using std::chrono::sys_days;

long long floor_div(long long a, long long b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
}  // namespace

FixedZone::FixedZone(int offset_s, std::string name) : offset_s_(offset_s), name_(std::move(name)) {}
int FixedZone::offset_s(UnixS /*t*/) const { return offset_s_; }
UnixS FixedZone::to_instant(LocalDate date, int sec_of_day) const {
    const auto d = sys_days(date).time_since_epoch().count();
    return static_cast<double>(d) * 86400.0 + sec_of_day - offset_s_;
}
std::string FixedZone::name() const { return name_; }

LocalDate local_date(UnixS t, const Zone& z) {
    const double local = t + z.offset_s(t);
    const long long day = floor_div(static_cast<long long>(std::floor(local)), 86400);
    return LocalDate(sys_days(days(day)));
}

double local_seconds_of_day(UnixS t, const Zone& z) {
    const double local = t + z.offset_s(t);
    const double day = std::floor(local / 86400.0);
    return local - day * 86400.0;
}

std::string format_date(LocalDate d) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()),
                  static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
    return buf;
}

std::string format_iso(UnixS t, const Zone& z) {
    const int off = z.offset_s(t);
    // Round to whole milliseconds first so that 59.9996 s never prints as "60.000".
    const long long ms_total = std::llround((t + off) * 1000.0);
    const long long sec_total = floor_div(ms_total, 1000);
    const int ms = static_cast<int>(ms_total - sec_total * 1000);
    const long long day = floor_div(sec_total, 86400);
    const long long sod = sec_total - day * 86400;
    const LocalDate d{sys_days(days(day))};
    const int off_abs = off < 0 ? -off : off;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%sT%02lld:%02lld:%02lld.%03d%c%02d:%02d", format_date(d).c_str(),
                  sod / 3600, (sod / 60) % 60, sod % 60, ms, off < 0 ? '-' : '+', off_abs / 3600,
                  (off_abs / 60) % 60);
    return buf;
}

bool parse_date(const std::string& s, LocalDate& out) {
    int y = 0;
    unsigned m = 0, d = 0;
    char tail = 0;
    if (s.size() != 10 || std::sscanf(s.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3) return false;
    const LocalDate ymd{std::chrono::year(y), std::chrono::month(m), std::chrono::day(d)};
    if (!ymd.ok()) return false;
    out = ymd;
    return true;
}

bool parse_iso(const std::string& s, UnixS& out) {
    if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' ||
        s[16] != ':')
        return false;
    LocalDate d;
    if (!parse_date(s.substr(0, 10), d)) return false;
    auto digits = [&](std::size_t pos, std::size_t n, int& v) {
        v = 0;
        for (std::size_t i = pos; i < pos + n; ++i) {
            if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
            v = v * 10 + (s[i] - '0');
        }
        return true;
    };
    int hh = 0, mm = 0, ss = 0;
    if (!digits(11, 2, hh) || !digits(14, 2, mm) || !digits(17, 2, ss) || hh > 23 || mm > 59 || ss > 60)
        return false;
    std::size_t i = 19;
    double frac = 0;
    if (i < s.size() && s[i] == '.') {
        double scale = 0.1;
        ++i;
        const std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            frac += (s[i] - '0') * scale;
            scale /= 10;
            ++i;
        }
        if (i == start) return false;
    }
    int off = 0;
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
        ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        int oh = 0, om = 0;
        const int sign = s[i] == '-' ? -1 : 1;
        if (!digits(i + 1, 2, oh)) return false;
        std::size_t j = i + 3;
        if (j < s.size() && s[j] == ':') ++j;
        if (!digits(j, 2, om) || oh > 23 || om > 59) return false;
        off = sign * (oh * 3600 + om * 60);
        i = j + 2;
    } else {
        return false;  // a time without an offset is ambiguous
    }
    if (i != s.size()) return false;
    const auto day = sys_days(d).time_since_epoch().count();
    out = static_cast<double>(day) * 86400.0 + hh * 3600 + mm * 60 + ss + frac - off;
    return true;
}

}  // namespace hypnic
