// Value checks for the configuration loader; each returns the reason a value is invalid, or nothing.
#include "config/checks.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <fstream>

namespace hypnic::config_detail {

namespace {
bool is_lower_id_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
    const std::size_t n = a.size();
    const std::size_t m = b.size();
    // Three rolling rows are enough for the optimal-string-alignment variant.
    std::vector<std::size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
    for (std::size_t j = 0; j <= m; ++j) prev[j] = j;
    for (std::size_t i = 1; i <= n; ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= m; ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                cur[j] = std::min(cur[j], prev2[j - 2] + 1);
        }
        std::swap(prev2, prev);
        std::swap(prev, cur);
    }
    return prev[m];
}

std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& candidates) {
    // Keys are short; a typo is one or two slips, three in long names. Anything further is a different word.
    const std::size_t limit = word.size() <= 3 ? 1 : (word.size() <= 8 ? 2 : 3);
    std::optional<std::string> best;
    std::size_t best_d = limit + 1;
    for (const auto& c : candidates) {
        std::size_t d = edit_distance(word, c);
        // A key written without its unit suffix (dim_lights for dim_lights_min) is a near miss too.
        const bool prefix = std::min(word.size(), c.size()) >= 4 &&
                            (c.rfind(word, 0) == 0 || word.rfind(c, 0) == 0);
        if (prefix) d = std::min(d, limit);
        if (d < best_d && d < std::max(word.size(), c.size())) {
            best_d = d;
            best = c;
        }
    }
    return best;
}

Problem check_id(std::string_view id) {
    if (id.empty()) return "must not be empty (1..32 characters of a-z, 0-9, '_', '-')";
    if (id.size() > 32) return "is " + std::to_string(id.size()) + " characters long; at most 32 are allowed";
    for (char c : id)
        if (!is_lower_id_char(c))
            return "may only contain a-z, 0-9, '_' and '-' (it becomes part of MQTT topics and entity ids)";
    return std::nullopt;
}

Problem check_topic(std::string_view topic, bool allow_wildcards) {
    if (topic.empty()) return "must not be empty";
    if (topic.size() > 65535) return "is longer than the MQTT limit of 65535 bytes";
    if (topic.find('\0') != std::string_view::npos) return "must not contain a NUL character";
    if (!allow_wildcards && topic.find_first_of("+#") != std::string_view::npos)
        return "must not contain the MQTT wildcards '+' or '#'; name one exact topic";
    return std::nullopt;
}

Problem check_topic_prefix(std::string_view topic) {
    if (auto p = check_topic(topic)) return p;
    if (topic.front() == '/' || topic.back() == '/') return "must not start or end with '/'";
    if (topic.find("//") != std::string_view::npos) return "must not contain an empty level ('//')";
    return std::nullopt;
}

Problem check_clock_time(std::string_view s, int* minutes) {
    static const std::string WANT = "must be a time \"HH:MM\" between 00:00 and 23:59";
    if (s.size() != 5 || s[2] != ':' || !is_digit(s[0]) || !is_digit(s[1]) || !is_digit(s[3]) || !is_digit(s[4]))
        return WANT;
    const int h = (s[0] - '0') * 10 + (s[1] - '0');
    const int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59) return WANT;
    if (minutes != nullptr) *minutes = h * 60 + m;
    return std::nullopt;
}

Problem check_json_pointer(std::string_view s) {
    if (s.empty()) return std::nullopt;
    if (s.front() != '/') return "must be a JSON pointer: empty (the whole payload) or starting with '/', e.g. /state";
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '~' && (i + 1 == s.size() || (s[i + 1] != '0' && s[i + 1] != '1')))
            return "has a '~' not followed by 0 or 1 (JSON pointers escape '~' as ~0 and '/' as ~1)";
    }
    return std::nullopt;
}

namespace {
constexpr std::array<std::string_view, 6> SCHEMES = {"tcp", "ssl", "mqtt", "mqtts", "ws", "wss"};
}

bool is_secure_url(std::string_view url) {
    return url.rfind("ssl://", 0) == 0 || url.rfind("mqtts://", 0) == 0 || url.rfind("wss://", 0) == 0;
}

std::string mask_url_credentials(std::string_view url) {
    // Everything before the last '@' may be secret; masking too much is harmless, too little is not.
    const std::size_t at = url.rfind('@');
    if (at == std::string_view::npos) return std::string(url);
    const std::size_t scheme_end = url.find("://");
    // A scheme never contains '@': if one comes before "://", that "://" is not a scheme separator.
    const bool has_scheme = scheme_end != std::string_view::npos && scheme_end < url.find('@');
    const std::size_t start = has_scheme ? scheme_end + 3 : 0;
    return std::string(url.substr(0, start)) + "***" + std::string(url.substr(at));
}

Problem check_broker_url(std::string_view url) {
    static const std::string SCHEME_LIST = "tcp://, ssl://, mqtt://, mqtts://, ws:// or wss://";
    if (url.empty()) return "must not be empty; e.g. tcp://localhost:1883";
    const std::size_t sep = url.find("://");
    if (sep == std::string_view::npos) return "has no scheme; write it as " + SCHEME_LIST + " followed by host[:port]";
    const std::string_view scheme = url.substr(0, sep);
    if (std::find(SCHEMES.begin(), SCHEMES.end(), scheme) == SCHEMES.end())
    {
        const bool plain_name = scheme.size() <= 16 && std::all_of(scheme.begin(), scheme.end(), [](char c) {
                                    return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
                                });
        return (plain_name ? "uses the scheme '" + std::string(scheme) + "://'" : std::string("has an unknown scheme")) +
               "; supported: " + SCHEME_LIST;
    }
    const std::string_view rest = url.substr(sep + 3);
    const std::size_t slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    if (authority.find('@') != std::string_view::npos)
        return "contains a user name or password ('...@'); remove it and use mqtt.username with mqtt.password, "
               "mqtt.password_file or mqtt.password_env";
    if (slash != std::string_view::npos && scheme != "ws" && scheme != "wss")
        return "has a path; only ws:// and wss:// URLs may have one";
    if (rest.find_first_of("?# \t") != std::string_view::npos)
        return "must not contain spaces, '?' or '#'";
    std::string_view host = authority;
    std::string_view port;
    if (!host.empty() && host.front() == '[') {
        const std::size_t close = host.find(']');
        if (close == std::string_view::npos) return "has an IPv6 address without the closing ']'";
        port = host.substr(close + 1);
        host = host.substr(1, close - 1);
        if (!port.empty()) {
            if (port.front() != ':') return "has characters after the IPv6 address that are not a :port";
            port.remove_prefix(1);
            if (port.empty()) return "has an empty port after ':'";
        }
        if (host.empty()) return "has an empty IPv6 address";
        for (char c : host)
            if (!(is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
                return "has an invalid IPv6 address";
    } else {
        const std::size_t colon = host.find(':');
        if (colon != std::string_view::npos) {
            port = host.substr(colon + 1);
            host = host.substr(0, colon);
            if (port.empty()) return "has an empty port after ':'";
        }
        if (host.empty()) return "has no host; e.g. tcp://localhost:1883";
        for (char c : host)
            if (!(is_alpha(c) || is_digit(c) || c == '.' || c == '-' || c == '_'))
                return "has an invalid host name (letters, digits, '.', '-', '_' only)";
    }
    if (!port.empty()) {
        int p = 0;
        const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
        if (ec != std::errc() || ptr != port.data() + port.size() || p < 1 || p > 65535)
            return "has an invalid port; it must be a number 1..65535";
    }
    return std::nullopt;
}

Problem check_timezone(std::string_view name, const std::string& zoneinfo_dir) {
    if (name.empty()) return std::nullopt;
    static const std::string HINT = " (use an IANA name such as Europe/Berlin, or leave it empty for the system's)";
    if (name.front() == '/') return "must be a zone name, not an absolute path" + HINT;
    if (name.size() > 64) return "is too long for a time zone name" + HINT;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if (!(is_alpha(c) || is_digit(c) || c == '_' || c == '-' || c == '+' || c == '/' || c == '.'))
            return "contains characters no zone name has" + HINT;
    }
    if (name.find("..") != std::string_view::npos) return "must not contain '..'" + HINT;
    const std::string path = zoneinfo_dir + "/" + std::string(name);
    std::ifstream f(path, std::ios::binary);
    char magic[4] = {};
    // Directories fail to read; index files such as zone.tab lack the TZif magic.
    if (!f || !f.read(magic, 4) || std::string_view(magic, 4) != "TZif")
        return "is not a time zone known under " + zoneinfo_dir + HINT;
    return std::nullopt;
}

Problem check_env_name(std::string_view name) {
    if (name.empty()) return "must not be empty";
    if (is_digit(name.front())) return "must not start with a digit";
    for (char c : name)
        if (!(is_alpha(c) || is_digit(c) || c == '_'))
            return "may only contain letters, digits and '_' (an environment variable name)";
    return std::nullopt;
}

}  // namespace hypnic::config_detail
