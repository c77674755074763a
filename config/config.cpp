// The YAML loader: walks the located tree section by section and fills Config, collecting every error.
#include "config/config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>
#include <variant>

#include "config/advice_texts.hpp"
#include "config/checks.hpp"
#include "config/yaml_tree.hpp"

namespace hypnic {

namespace {

using config_detail::check_broker_url;
using config_detail::check_clock_time;
using config_detail::check_env_name;
using config_detail::check_id;
using config_detail::check_json_pointer;
using config_detail::check_timezone;
using config_detail::check_topic;
using config_detail::check_topic_prefix;
using config_detail::is_secure_url;
using config_detail::nearest;
using config_detail::Problem;
using config_detail::YNode;

constexpr std::size_t MAX_ERRORS = 100;
constexpr std::size_t MAX_SECRET_FILE_BYTES = 64 * 1024;
constexpr int SUPPORTED_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// Error collection.

struct Ctx {
    std::string file;
    std::filesystem::path base_dir;  // relative paths in the file are taken relative to this
    std::vector<ConfigError> errors;
    bool capped = false;

    void error(int line, int column, std::string message) {
        if (errors.size() >= MAX_ERRORS) {
            capped = true;
            return;
        }
        errors.push_back({file, line, column, std::move(message)});
    }
    void error(const YNode* n, std::string message) {
        error(n != nullptr ? n->line : 0, n != nullptr ? n->column : 0, std::move(message));
    }

    std::string resolve(const std::string& path) const {
        if (path.empty() || base_dir.empty() || std::filesystem::path(path).is_absolute()) return path;
        return (base_dir / path).lexically_normal().string();
    }
};

std::string quote(std::string_view s) {
    constexpr std::size_t SHOWN = 60;
    std::string out = "'";
    for (char c : s.substr(0, SHOWN)) {
        // Control characters would garble a terminal; show them escaped.
        if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(static_cast<unsigned char>(c)));
            out += buf;
        } else {
            out += c;
        }
    }
    if (s.size() > SHOWN) out += "...";
    return out + "'";
}

// What was found instead of the expected value. Secret fields pass `secret` so their text is never echoed.
std::string describe(const YNode* n, bool secret = false) {
    if (n == nullptr || n->kind == YNode::Kind::null) return "nothing";
    if (n->kind == YNode::Kind::sequence) return "a list";
    if (n->kind == YNode::Kind::map) return "a mapping";
    if (secret) return "a value";
    return (n->quoted ? "the quoted text " : "") + quote(n->value);
}

std::string fmt_num(double v) {
    if (std::abs(v) < 1e15 && v == std::floor(v)) return std::to_string(static_cast<long long>(v));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

std::string join(const std::vector<std::string>& v, std::string_view sep = ", ") {
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i > 0) out += sep;
        out += v[i];
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// A mapping being read: remembers which keys were asked for, so that everything else is reported
// as unknown (with the nearest known key suggested), and reports duplicate keys.

class Section {
public:
    Section(Ctx& ctx, const YNode* node, std::string path) : ctx_(ctx), node_(node), path_(std::move(path)) {
        if (node_ == nullptr || node_->kind != YNode::Kind::map) return;
        std::map<std::string, const YNode*, std::less<>> first;
        for (const auto& [k, v] : node_->pairs) {
            if (k->kind != YNode::Kind::scalar) {
                ctx_.error(k, "keys must be plain names" + in() + ", found " + describe(k));
                continue;
            }
            auto [it, inserted] = first.emplace(k->value, k);
            if (!inserted)
                ctx_.error(k, "duplicate key " + quote(k->value) + in() + " (first given at line " +
                                  std::to_string(it->second->line) + ":" + std::to_string(it->second->column) +
                                  "); give each key once");
            values_[k->value] = {k, v};
        }
    }

    /// Reads a key: marks it known and returns its value node (null when absent).
    const YNode* get(std::string_view key) {
        if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
        auto it = values_.find(key);
        return it == values_.end() ? nullptr : it->second.second;
    }
    /// The key node itself (for errors about the key rather than its value).
    const YNode* key_node(std::string_view key) const {
        auto it = values_.find(key);
        return it == values_.end() ? nullptr : it->second.first;
    }
    bool has(std::string_view key) const { return values_.count(key) > 0; }

    /// Full name of a key for messages: "mqtt.qos", "sleepers[0].id", "version".
    std::string name(std::string_view key) const { return path_.empty() ? std::string(key) : path_ + "." + std::string(key); }
    const std::string& path() const { return path_; }
    const YNode* node() const { return node_; }
    Ctx& ctx() { return ctx_; }

    void require(std::string_view key) {
        if (!has(key)) ctx_.error(node_, "missing required key " + quote(key) + in());
    }

    /// Reports every key that was never asked for.
    void finish() {
        if (node_ == nullptr || node_->kind != YNode::Kind::map) return;
        for (const auto& [k, v] : node_->pairs) {
            if (k->kind != YNode::Kind::scalar) continue;
            if (std::find(known_.begin(), known_.end(), k->value) != known_.end()) continue;
            std::string msg = "unknown key " + quote(k->value) + in();
            // yaml-cpp 0.7 does not implement YAML 1.1 merge keys; say so rather than guess a key.
            if (k->value == "<<") msg += "; merge keys are not supported: write the keys out, or alias the whole value";
            else if (auto best = nearest(k->value, known_)) msg += "; did you mean '" + *best + "'?";
            else msg += "; valid keys: " + join(known_);
            ctx_.error(k, msg);
        }
    }

private:
    std::string in() const { return path_.empty() ? " at the top level" : " in " + path_; }

    Ctx& ctx_;
    const YNode* node_;
    std::string path_;
    std::map<std::string, std::pair<const YNode*, const YNode*>, std::less<>> values_;
    std::vector<std::string> known_;
};

// A nested mapping: null when absent; an error (and null) when present but not a mapping.
const YNode* as_map(Section& sec, std::string_view key) {
    const YNode* n = sec.get(key);
    if (n == nullptr || n->kind == YNode::Kind::null) return nullptr;
    if (n->kind != YNode::Kind::map) {
        sec.ctx().error(n, sec.name(key) + " must be a mapping of keys, got " + describe(n));
        return nullptr;
    }
    return n;
}

const YNode* as_list(Section& sec, std::string_view key) {
    const YNode* n = sec.get(key);
    if (n == nullptr || n->kind == YNode::Kind::null) return nullptr;
    if (n->kind != YNode::Kind::sequence) {
        sec.ctx().error(n, sec.name(key) + " must be a list, got " + describe(n));
        return nullptr;
    }
    return n;
}

// ---------------------------------------------------------------------------------------------
// Scalar conversions. Each returns false after reporting; targets keep their defaults then.

bool plain_scalar(Section& sec, std::string_view key, const YNode* n, const std::string& want) {
    if (n->kind == YNode::Kind::scalar && !n->quoted) return true;
    std::string msg = sec.name(key) + " must be " + want + ", got " + describe(n);
    if (n->kind == YNode::Kind::scalar) msg += " (remove the quotes)";
    sec.ctx().error(n, msg);
    return false;
}

bool read_bool(Section& sec, std::string_view key, bool& out) {
    const YNode* n = sec.get(key);
    if (n == nullptr) return false;
    static const std::string WANT = "true or false";
    if (!plain_scalar(sec, key, n, WANT)) return false;
    const std::string& v = n->value;
    if (v == "true" || v == "True" || v == "TRUE") out = true;
    else if (v == "false" || v == "False" || v == "FALSE") out = false;
    else {
        sec.ctx().error(n, sec.name(key) + " must be " + WANT + ", got " + describe(n));
        return false;
    }
    return true;
}

std::string range_text(const char* what, double lo, double hi, std::string_view unit) {
    std::string s = std::string(what) + " " + fmt_num(lo) + ".." + fmt_num(hi);
    if (!unit.empty()) s += " (" + std::string(unit) + ")";
    return s;
}

template <typename T>
bool read_integer(Section& sec, std::string_view key, T& out, double lo, double hi, std::string_view unit) {
    const YNode* n = sec.get(key);
    if (n == nullptr) return false;
    const std::string want = range_text("an integer", lo, hi, unit);
    if (!plain_scalar(sec, key, n, want)) return false;
    std::string_view v = n->value;
    if (!v.empty() && v.front() == '+') v.remove_prefix(1);
    long long x = 0;
    const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
    if (v.empty() || ec != std::errc() || ptr != v.data() + v.size() || static_cast<double>(x) < lo ||
        static_cast<double>(x) > hi) {
        sec.ctx().error(n, sec.name(key) + " must be " + want + ", got " + describe(n));
        return false;
    }
    out = static_cast<T>(x);
    return true;
}

bool read_double(Section& sec, std::string_view key, double& out, double lo, double hi, std::string_view unit) {
    const YNode* n = sec.get(key);
    if (n == nullptr) return false;
    const std::string want = range_text("a number", lo, hi, unit);
    if (!plain_scalar(sec, key, n, want)) return false;
    std::string_view v = n->value;
    if (!v.empty() && v.front() == '+') v.remove_prefix(1);
    double x = 0;
    // from_chars reads "nan" and "inf", which no setting accepts; require a leading digit, '-' or '.'.
    const bool looks_numeric = !v.empty() && (std::isdigit(static_cast<unsigned char>(v.front())) ||
                                              ((v.front() == '-' || v.front() == '.') && v.size() > 1 &&
                                               (std::isdigit(static_cast<unsigned char>(v[1])) || v[1] == '.')));
    const auto [ptr, ec] =
        looks_numeric ? std::from_chars(v.data(), v.data() + v.size(), x) : std::from_chars_result{v.data(), std::errc::invalid_argument};
    if (!looks_numeric || ec != std::errc() || ptr != v.data() + v.size() || !std::isfinite(x) || x < lo ||
        x > hi) {
        sec.ctx().error(n, sec.name(key) + " must be " + want + ", got " + describe(n));
        return false;
    }
    out = x;
    return true;
}

// Text values: plain or quoted scalars; an empty value (`key:`) is the empty string.
bool read_text(Section& sec, std::string_view key, std::string& out, bool secret = false) {
    const YNode* n = sec.get(key);
    if (n == nullptr) return false;
    if (n->kind == YNode::Kind::null) {
        out.clear();
        return true;
    }
    if (n->kind != YNode::Kind::scalar) {
        sec.ctx().error(n, sec.name(key) + " must be a text, got " + describe(n, secret));
        return false;
    }
    out = n->value;
    return true;
}

// Text checked by a validator; the message names the key and shows the value.
bool read_checked(Section& sec, std::string_view key, std::string& out, Problem (*check)(std::string_view)) {
    std::string v;
    if (!read_text(sec, key, v)) return false;
    if (Problem p = check(v)) {
        sec.ctx().error(sec.get(key), sec.name(key) + " " + quote(v) + " " + *p);
        return false;
    }
    out = std::move(v);
    return true;
}

bool read_choice(Section& sec, std::string_view key, std::string& out, const std::vector<std::string>& choices) {
    std::string v;
    if (!read_text(sec, key, v)) return false;
    if (std::find(choices.begin(), choices.end(), v) == choices.end()) {
        std::string msg = sec.name(key) + " must be one of " + join(choices) + ", got " + describe(sec.get(key));
        if (auto best = nearest(v, choices)) msg += "; did you mean '" + *best + "'?";
        sec.ctx().error(sec.get(key), msg);
        return false;
    }
    out = std::move(v);
    return true;
}

// ---------------------------------------------------------------------------------------------
// Field descriptors: one line per plain setting instead of one if-block each.

Problem free_text(std::string_view s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) < 0x20) return "must not contain control characters or line breaks";
    return std::nullopt;
}
Problem non_empty_text(std::string_view s) {
    if (s.empty()) return "must not be empty";
    return free_text(s);
}
Problem topic_exact(std::string_view s) { return check_topic(s); }
// Topics that may be left empty to mean "derive it".
Problem topic_or_empty(std::string_view s) { return s.empty() ? std::nullopt : check_topic(s); }

template <typename S>
struct Field {
    std::string_view key;
    std::variant<bool S::*, int S::*, double S::*, std::size_t S::*, std::string S::*> member;
    double min = 0;
    double max = 0;
    std::string_view unit = {};
    Problem (*check)(std::string_view) = nullptr;  // text fields only
};

template <typename S, std::size_t N>
void read_fields(Section& sec, S& s, const std::array<Field<S>, N>& fields) {
    for (const auto& f : fields) {
        std::visit(
            [&](auto member) {
                using M = std::remove_reference_t<decltype(s.*member)>;
                if constexpr (std::is_same_v<M, bool>) read_bool(sec, f.key, s.*member);
                else if constexpr (std::is_same_v<M, double>) read_double(sec, f.key, s.*member, f.min, f.max, f.unit);
                else if constexpr (std::is_same_v<M, std::string>) {
                    if (f.check != nullptr) read_checked(sec, f.key, s.*member, f.check);
                    else read_text(sec, f.key, s.*member);
                } else read_integer(sec, f.key, s.*member, f.min, f.max, f.unit);
            },
            f.member);
    }
}

// Cross-field check: `lo_key` must be below (or, with `allow_equal`, not above) `hi_key`.
void check_order(Section& sec, std::string_view lo_key, double lo, std::string_view hi_key, double hi,
                 bool allow_equal) {
    if (lo < hi || (allow_equal && lo == hi)) return;
    const YNode* at = sec.get(hi_key) != nullptr ? sec.get(hi_key) : sec.get(lo_key);
    if (at == nullptr) at = sec.node();
    sec.ctx().error(at, sec.name(lo_key) + " (" + fmt_num(lo) + ") must be " + (allow_equal ? "at most " : "less than ") +
                            sec.name(hi_key) + " (" + fmt_num(hi) + ")");
}

// ---------------------------------------------------------------------------------------------
// mqtt

const std::array<Field<MqttOptions>, 8> MQTT_FIELDS = {{
    {"client_id", &MqttOptions::client_id, 0, 0, {}, free_text},
    {"keepalive_s", &MqttOptions::keepalive_s, 5, 65535, "seconds"},
    {"qos", &MqttOptions::qos, 0, 2},
    {"clean_session", &MqttOptions::clean_session},
    {"reconnect_min_s", &MqttOptions::reconnect_min_s, 1, 3600, "seconds"},
    {"reconnect_max_s", &MqttOptions::reconnect_max_s, 1, 86400, "seconds"},
    {"max_payload_bytes", &MqttOptions::max_payload_bytes, 1024, 268435455, "bytes"},
    {"diagnostics_interval_s", &MqttOptions::diagnostics_interval_s, 0, 86400, "seconds"},
}};

const std::array<Field<TlsOptions>, 2> TLS_FIELDS = {{
    {"enabled", &TlsOptions::enabled},
    {"verify", &TlsOptions::verify},
}};

std::string os_reason(int err) { return std::error_code(err, std::generic_category()).message(); }

// Checks that a file the daemon will open later can be read now; names the file and the OS reason.
void check_readable(Section& sec, std::string_view key, const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
        sec.ctx().error(sec.get(key), sec.name(key) + ": cannot read " + quote(path) + ": " + os_reason(errno));
        return;
    }
    std::fclose(f);
}

std::string default_client_id() {
    char host[256] = {};
    std::string id = "hypnic";
    if (::gethostname(host, sizeof host - 1) == 0 && host[0] != '\0') {
        id += '-';
        // Client ids travel in MQTT CONNECT; keep the characters every broker accepts.
        for (const char* p = host; *p != '\0'; ++p) {
            const char c = *p;
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
            id += ok ? c : '-';
        }
    }
    return id.substr(0, 64);
}

void read_secret(Section& sec, MqttOptions& m) {
    const std::array<std::string_view, 3> keys = {"password", "password_file", "password_env"};
    std::vector<std::string_view> given;
    for (auto k : keys) {
        sec.get(k);
        if (sec.has(k)) given.push_back(k);
    }
    if (given.size() > 1) {
        for (std::size_t i = 1; i < given.size(); ++i)
            sec.ctx().error(sec.key_node(given[i]),
                            "give at most one of mqtt.password, mqtt.password_file and mqtt.password_env (" +
                                sec.name(given[0]) + " is already given)");
        return;
    }
    if (given.empty()) return;
    const std::string_view key = given.front();
    const YNode* n = sec.get(key);
    Ctx& ctx = sec.ctx();

    if (key == "password") {
        std::string pw;
        if (!read_text(sec, key, pw, true)) return;
        if (pw.empty()) ctx.error(n, "mqtt.password is empty; remove the key for no password");
        else m.password = std::move(pw);
        return;
    }
    if (key == "password_env") {
        std::string name;
        if (!read_text(sec, key, name)) return;
        if (Problem p = check_env_name(name)) {
            ctx.error(n, "mqtt.password_env " + quote(name) + " " + *p);
            return;
        }
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) ctx.error(n, "mqtt.password_env: the environment variable " + quote(name) + " is not set");
        else if (*value == '\0') ctx.error(n, "mqtt.password_env: the environment variable " + quote(name) + " is empty");
        else m.password = value;
        return;
    }
    // password_file: the whole file is the password, less one trailing line break.
    std::string path;
    if (!read_text(sec, key, path)) return;
    if (path.empty()) {
        ctx.error(n, "mqtt.password_file must name a file");
        return;
    }
    path = ctx.resolve(path);
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
        ctx.error(n, "mqtt.password_file: cannot read " + quote(path) + ": " + os_reason(errno));
        return;
    }
    std::string pw;
    char buf[4096];
    std::size_t got = 0;
    while ((got = std::fread(buf, 1, sizeof buf, f)) > 0 && pw.size() <= MAX_SECRET_FILE_BYTES) pw.append(buf, got);
    const bool read_failed = std::ferror(f) != 0;
    const int err = errno;
    std::fclose(f);
    if (read_failed) {
        ctx.error(n, "mqtt.password_file: cannot read " + quote(path) + ": " + os_reason(err));
        return;
    }
    if (pw.size() > MAX_SECRET_FILE_BYTES) {
        ctx.error(n, "mqtt.password_file " + quote(path) + " is larger than 64 KiB; it must hold only the password");
        return;
    }
    if (!pw.empty() && pw.back() == '\n') {
        pw.pop_back();
        if (!pw.empty() && pw.back() == '\r') pw.pop_back();
    }
    if (pw.empty()) ctx.error(n, "mqtt.password_file " + quote(path) + " is empty");
    else if (pw.find_first_of(std::string("\n\r\0", 3)) != std::string::npos)
        ctx.error(n, "mqtt.password_file " + quote(path) +
                         " holds more than one line (or a NUL byte); it must hold only the password");
    else m.password = std::move(pw);
}

void read_mqtt(Ctx& ctx, const YNode* node, MqttOptions& m) {
    Section sec(ctx, node, "mqtt");
    read_fields(sec, m, MQTT_FIELDS);
    // The URL may carry a password by mistake, so its message shows it with the user-info masked.
    if (std::string url; read_text(sec, "url", url)) {
        if (Problem p = check_broker_url(url))
            ctx.error(sec.get("url"), "mqtt.url " + quote(config_detail::mask_url_credentials(url)) + " " + *p);
        else m.url = std::move(url);
    }
    read_checked(sec, "base_topic", m.base_topic, check_topic_prefix);
    read_checked(sec, "username", m.username, free_text);
    // A group name is one topic level after $share/: the sleeper id rules keep + # / out.
    read_checked(sec, "shared_group", m.shared_group,
                 +[](std::string_view v) -> Problem { return v.empty() ? std::nullopt : check_id(v); });
    read_secret(sec, m);
    if (!m.password.empty() && m.username.empty()) {
        const YNode* at = nullptr;
        for (auto key : {"password", "password_file", "password_env"})
            if (at == nullptr) at = sec.key_node(key);
        ctx.error(at, "a password needs mqtt.username: MQTT sends a password only together with a user name");
    }
    if (m.reconnect_min_s > m.reconnect_max_s)
        check_order(sec, "reconnect_min_s", m.reconnect_min_s, "reconnect_max_s", m.reconnect_max_s, true);
    if (m.client_id.empty()) m.client_id = default_client_id();
    else if (m.client_id.size() > 128 || m.client_id.find(' ') != std::string::npos) {
        ctx.error(sec.get("client_id"), "mqtt.client_id must be 1..128 characters without spaces");
    }

    // TLS follows the URL scheme unless it is switched off explicitly, which contradicts the URL.
    const bool secure = is_secure_url(m.url);
    Section tls(ctx, as_map(sec, "tls"), "mqtt.tls");
    read_fields(tls, m.tls, TLS_FIELDS);
    const bool explicit_enabled = tls.has("enabled");
    for (auto [key, member] : {std::pair{"ca_file", &TlsOptions::ca_file}, std::pair{"cert_file", &TlsOptions::cert_file},
                               std::pair{"key_file", &TlsOptions::key_file}}) {
        if (read_text(tls, key, m.tls.*member)) m.tls.*member = ctx.resolve(m.tls.*member);
    }
    tls.finish();
    if (secure && !m.tls.enabled) {
        if (explicit_enabled)
            ctx.error(tls.get("enabled"), "mqtt.tls.enabled is false but mqtt.url uses a TLS scheme (ssl://, mqtts:// "
                                          "or wss://); use tcp:// or mqtt:// without TLS");
        else m.tls.enabled = true;
    } else if (!secure && m.tls.enabled && tls.has("enabled")) {
        ctx.error(tls.get("enabled"),
                  "mqtt.tls.enabled is true but mqtt.url does not use ssl://, mqtts:// or wss://; change the URL");
    }
    if (m.tls.enabled) {
        if (!m.tls.cert_file.empty() && m.tls.key_file.empty())
            ctx.error(tls.get("cert_file"), "mqtt.tls.cert_file needs mqtt.tls.key_file (a client certificate needs its key)");
        if (m.tls.cert_file.empty() && !m.tls.key_file.empty())
            ctx.error(tls.get("key_file"), "mqtt.tls.key_file needs mqtt.tls.cert_file");
        for (auto [key, member] : {std::pair{"ca_file", &TlsOptions::ca_file}, std::pair{"cert_file", &TlsOptions::cert_file},
                                   std::pair{"key_file", &TlsOptions::key_file}})
            if (!(m.tls.*member).empty()) check_readable(tls, key, m.tls.*member);
    }
    sec.finish();
}

// ---------------------------------------------------------------------------------------------
// homeassistant, log

const std::array<Field<HomeAssistantOptions>, 5> HA_FIELDS = {{
    {"enabled", &HomeAssistantOptions::enabled},
    {"discovery_prefix", &HomeAssistantOptions::discovery_prefix, 0, 0, {}, check_topic_prefix},
    {"status_topic", &HomeAssistantOptions::status_topic, 0, 0, {}, topic_exact},
    {"device_discovery", &HomeAssistantOptions::device_discovery},
    {"announce_delay_max_s", &HomeAssistantOptions::announce_delay_max_s, 0, 600, "seconds"},
}};

// The web view binds a literal address: a host name would make "loopback only" depend on DNS.
Problem check_listen_address(std::string_view s) {
    const std::string a(s);
    unsigned char buf[sizeof(in6_addr)];
    if (::inet_pton(AF_INET, a.c_str(), buf) == 1 || ::inet_pton(AF_INET6, a.c_str(), buf) == 1) return std::nullopt;
    return std::string("must be an IPv4 or IPv6 address such as 127.0.0.1 or ::1, not a host name");
}

// web.allow_from: an address as above, optionally /<prefix length>; the server parses it again.
Problem check_peer_range(std::string_view s) {
    const auto slash = s.find('/');
    const std::string a(s.substr(0, slash));
    unsigned char buf[sizeof(in6_addr)];
    int max_bits = 0;
    if (::inet_pton(AF_INET, a.c_str(), buf) == 1) max_bits = 32;
    else if (::inet_pton(AF_INET6, a.c_str(), buf) == 1) max_bits = 128;
    else return std::string("must be an IP address or CIDR range such as 172.30.32.2 or 10.0.0.0/8, not a host name");
    if (slash == std::string_view::npos) return std::nullopt;
    const std::string_view bits = s.substr(slash + 1);
    if (bits.empty() || bits.size() > 3 || bits.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoi(std::string(bits)) > max_bits)
        return "has a prefix length that is not a number 0.." + std::to_string(max_bits);
    return std::nullopt;
}

const std::array<Field<WebOptions>, 4> WEB_FIELDS = {{
    {"enabled", &WebOptions::enabled},
    {"listen", &WebOptions::listen, 0, 0, {}, check_listen_address},
    {"port", &WebOptions::port, 1, 65535, {}},
    {"refresh_s", &WebOptions::refresh_s, 2, 3600, "seconds"},
}};

// ---------------------------------------------------------------------------------------------
// sleepers

const std::array<Field<DetectorParams>, 18> DETECTOR_FIELDS = {{
    {"highpass_hz", &DetectorParams::highpass_hz, 0.01, 20, "Hz"},
    {"envelope_ms", &DetectorParams::envelope_ms, 5, 2000, "milliseconds"},
    {"noise_window_s", &DetectorParams::noise_window_s, 5, 3600, "seconds"},
    {"on_k", &DetectorParams::on_k, 0.5, 100},
    {"off_k", &DetectorParams::off_k, 0, 100},
    {"min_on_g", &DetectorParams::min_on_g, 0, 2, "g"},
    {"merge_gap_s", &DetectorParams::merge_gap_s, 0, 10, "seconds"},
    {"twitch_max_s", &DetectorParams::twitch_max_s, 0.05, 5, "seconds"},
    {"lm_max_s", &DetectorParams::lm_max_s, 0.5, 60, "seconds"},
    {"large_min_s", &DetectorParams::large_min_s, 0.1, 120, "seconds"},
    {"gravity_shift_deg", &DetectorParams::gravity_shift_deg, 0.1, 90, "degrees"},
    {"plm_wasm2016", &DetectorParams::plm_wasm2016},
    {"plm_min_run", &DetectorParams::plm_min_run, 2, 20, "movements"},
    {"release_frac", &DetectorParams::release_frac, 0, 1},
    {"max_movement_s", &DetectorParams::max_movement_s, 10, 3600, "seconds"},
    {"ring_decay_s", &DetectorParams::ring_decay_s, 0.01, 2, "seconds"},
    {"ring_scale_max", &DetectorParams::ring_scale_max, 1, 4},
    {"ring_impulses", &DetectorParams::ring_impulses, 3, 101, "impulses"},
}};

const std::array<Field<NightParams>, 16> NIGHT_FIELDS = {{
    {"onset_sleep_min", &NightParams::onset_sleep_min, 1, 60, "minutes"},
    {"wake_min", &NightParams::wake_min, 1, 120, "minutes"},
    {"onset_window_after_min", &NightParams::onset_window_after_min, 0, 120, "minutes"},
    {"bathroom_trip_max_min", &NightParams::bathroom_trip_max_min, 0, 180, "minutes"},
    {"min_in_bed_min", &NightParams::min_in_bed_min, 0, 720, "minutes"},
    {"evening_start_hour", &NightParams::evening_start_hour, 0, 23, "hour of the day"},
    {"wake_moving_s", &NightParams::wake_moving_s, 0.5, 60, "seconds"},
    {"min_minute_coverage", &NightParams::min_minute_coverage, 0, 1},
    {"data_stopped_min", &NightParams::data_stopped_min, 5, 1440, "minutes"},
    {"bleed_window_s", &NightParams::bleed_window_s, 0, 10, "seconds"},
    {"bleed_ratio", &NightParams::bleed_ratio, 1, 100},
    {"onset_twitch_gap_min", &NightParams::onset_twitch_gap_min, 0, 60, "minutes"},
    {"onset_settle_max_min", &NightParams::onset_settle_max_min, 0, 240, "minutes"},
    {"onset_burst_gap_min", &NightParams::onset_burst_gap_min, 0, 30, "minutes"},
    {"onset_single_start_min", &NightParams::onset_single_start_min, 0, 120, "minutes"},
    {"onset_section_min", &NightParams::onset_section_min, 0, 120, "minutes"},
}};

// Advice (docs/advice.md). The doctor hint never comes from one night, hence the lower bounds of 2.
const std::array<Field<AdviceParams>, 13> ADVICE_FIELDS = {{
    {"enabled", &AdviceParams::enabled},
    {"history_nights", &AdviceParams::history_nights, 2, 3650, "nights"},
    {"min_nights", &AdviceParams::min_nights, 2, 3650, "nights"},
    {"min_each", &AdviceParams::min_each, 1, 1000, "nights"},
    {"z", &AdviceParams::z, 0.5, 5},
    {"min_effect", &AdviceParams::min_effect, 0, 1},
    {"stress_level", &AdviceParams::stress_level, 0, 10},
    {"plm_index_per_h", &AdviceParams::plm_index_per_h, 1, 200, "per hour asleep"},
    {"plm_periodicity", &AdviceParams::plm_periodicity, 0, 1},
    {"plm_nights", &AdviceParams::plm_nights, 2, 365, "nights"},
    {"plm_window_nights", &AdviceParams::plm_window_nights, 2, 365, "nights"},
    {"discomfort_nights", &AdviceParams::discomfort_nights, 2, 365, "nights"},
    {"mattress_share", &AdviceParams::mattress_share, 0, 1},
}};

const std::array<Field<HeavyParams>, 4> HEAVY_FIELDS = {{
    {"default_onset_twitches", &HeavyParams::default_onset_twitches, 1, 1000, "twitches"},
    {"min_nights", &HeavyParams::min_nights, 1, 365, "nights"},
    {"baseline_nights", &HeavyParams::baseline_nights, 1, 3650, "nights"},
    {"k_mad", &HeavyParams::k_mad, 0, 20},
}};

const std::array<Field<WinddownParams>, 15> WINDDOWN_FIELDS = {{
    {"enabled", &WinddownParams::enabled},
    {"caffeine_cutoff_h", &WinddownParams::caffeine_cutoff_h, 0, 24, "hours before bedtime"},
    {"exercise_cutoff_h", &WinddownParams::exercise_cutoff_h, 0, 24, "hours before bedtime"},
    {"dim_lights_min", &WinddownParams::dim_lights_min, 0, 360, "minutes before bedtime"},
    {"fade_min", &WinddownParams::fade_min, 0, 360, "minutes"},
    {"dim_to_pct", &WinddownParams::dim_to_pct, 0, 100, "percent"},
    {"warm_color_temp_k", &WinddownParams::warm_color_temp_k, 1000, 10000, "kelvin"},
    {"relax_min", &WinddownParams::relax_min, 0, 360, "minutes before bedtime"},
    {"lights_out_min", &WinddownParams::lights_out_min, 0, 360, "minutes before bedtime"},
    {"heavy_extra_caffeine_h", &WinddownParams::heavy_extra_caffeine_h, 0, 24, "hours"},
    {"heavy_extra_dim_min", &WinddownParams::heavy_extra_dim_min, 0, 360, "minutes"},
    {"heavy_extra_relax_min", &WinddownParams::heavy_extra_relax_min, 0, 360, "minutes"},
    {"grace_min", &WinddownParams::grace_min, 0, 720, "minutes"},
    {"auto_earliest", &WinddownParams::auto_earliest, 0, 0, {}, +[](std::string_view s) { return check_clock_time(s); }},
    {"auto_latest", &WinddownParams::auto_latest, 0, 0, {}, +[](std::string_view s) { return check_clock_time(s); }},
}};

Problem bedtime_value(std::string_view s) {
    if (s == "auto") return std::nullopt;
    if (check_clock_time(s)) return "must be a time \"HH:MM\" (00:00..23:59) or \"auto\"";
    return std::nullopt;
}

// Formats each sensor kind understands; the first is the default.
const std::vector<std::string>& formats_for(SensorKind k) {
    static const std::vector<std::string> HYPNIC = {"hypnic"};
    static const std::vector<std::string> Z2M = {"zigbee2mqtt"};
    static const std::vector<std::string> PLAIN_JSON = {"plain", "json"};
    static const std::vector<std::string> SAA = {"saa"};
    // A light's state object has the same shape whichever name it goes by; the device names are
    // accepted so that a configuration can say where the light comes from.
    static const std::vector<std::string> LIGHTS = {"plain", "json", "zigbee2mqtt", "tasmota"};
    switch (k) {
        case SensorKind::accel:
        case SensorKind::scalar:
        case SensorKind::activity: return HYPNIC;
        case SensorKind::vibration: return Z2M;
        case SensorKind::sleep_as_android: return SAA;
        case SensorKind::lights: return LIGHTS;
        default: return PLAIN_JSON;
    }
}

bool is_movement_kind(SensorKind k) {
    return k == SensorKind::accel || k == SensorKind::scalar || k == SensorKind::vibration || k == SensorKind::activity;
}

std::vector<std::string> names_of_kinds() {
    std::vector<std::string> v;
    for (int i = 0; i <= static_cast<int>(SensorKind::mask); ++i) v.emplace_back(to_string(static_cast<SensorKind>(i)));
    return v;
}

std::string at_text(const YNode* n) { return "line " + std::to_string(n->line) + ":" + std::to_string(n->column); }

void read_sensor(Ctx& ctx, const YNode* node, const std::string& path, SensorSpec& s) {
    Section sec(ctx, node, path);
    std::optional<SensorKind> kind;
    std::string text;
    if (read_choice(sec, "kind", text, names_of_kinds())) kind = sensor_kind_from_string(text);
    sec.require("kind");
    read_checked(sec, "topic", s.topic, topic_exact);
    sec.require("topic");
    if (kind) {
        s.kind = *kind;
        s.format = formats_for(*kind).front();
    }

    // Kind-specific keys: read them all (so none is "unknown"), then say which do not fit this kind.
    auto only_for = [&](std::string_view key, bool fits, const std::string& which) {
        if (!kind || !sec.has(key) || fits) return;
        const std::string is = which.rfind("format", 0) == 0 ? "its format is " + s.format
                                                            : "this sensor is kind " + std::string(to_string(*kind));
        ctx.error(sec.key_node(key), path + "." + std::string(key) + " is only used by " + which + " (" + is + ")");
    };
    if (kind) read_choice(sec, "format", s.format, formats_for(*kind));
    else sec.get("format");
    read_checked(sec, "value", s.value_pointer, check_json_pointer);
    only_for("value", s.format == "json" || s.value_pointer.empty(), "format json");
    if (kind == SensorKind::accel) read_choice(sec, "unit", s.unit, {"g", "m/s2"});
    else sec.get("unit");
    only_for("unit", kind == SensorKind::accel, "kind accel");
    read_bool(sec, "partner", s.partner);
    only_for("partner", kind && is_movement_kind(*kind), "movement sensors (accel, scalar, vibration, activity)");

    std::string factor;
    std::vector<std::string> factors;
    for (Factor f : ALL_FACTORS) factors.emplace_back(to_string(f));
    if (read_choice(sec, "factor", factor, factors)) s.factor = factor_from_string(factor);
    only_for("factor", kind == SensorKind::source, "kind source");
    if (kind == SensorKind::source && !sec.has("factor"))
        ctx.error(node, "missing required key 'factor' in " + path + " (kind source needs one of " + join(factors) + ")");
    read_double(sec, "above", s.above, -1e12, 1e12, "the source's unit");
    only_for("above", kind == SensorKind::source || kind == SensorKind::mask, "kinds source and mask");
    read_double(sec, "for_s", s.for_s, 0, 86400, "seconds");
    only_for("for_s", kind == SensorKind::source, "kind source");
    read_double(sec, "amount", s.amount, 1e-6, 1e6, "the factor's unit");
    only_for("amount", kind == SensorKind::source, "kind source");
    sec.finish();
}

Problem payload_template_check(std::string_view t) {
    static const std::array<std::string_view, 5> PLACEHOLDERS = {"{brightness_pct}", "{brightness_254}",
                                                                  "{color_temp_k}", "{mired}", "{transition_s}"};
    if (t.empty()) return "must not be empty";
    for (std::size_t i = t.find('{'); i != std::string_view::npos; i = t.find('{', i + 1)) {
        const std::size_t close = t.find('}', i);
        if (close == std::string_view::npos) break;
        const std::string_view word = t.substr(i, close - i + 1);
        // JSON braces are fine; only brace pairs around a bare name are placeholders.
        const bool name_like = std::all_of(word.begin() + 1, word.end() - 1, [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        }) && word.size() > 2;
        if (name_like && std::find(PLACEHOLDERS.begin(), PLACEHOLDERS.end(), word) == PLACEHOLDERS.end())
            return "uses the unknown placeholder " + std::string(word) +
                   "; known: {brightness_pct} {brightness_254} {color_temp_k} {mired} {transition_s}";
    }
    return std::nullopt;
}

void read_light(Ctx& ctx, const YNode* node, const std::string& path, LightSpec& l) {
    Section sec(ctx, node, path);
    std::vector<std::string> types;
    for (int i = 0; i <= static_cast<int>(LightType::template_); ++i)
        types.emplace_back(to_string(static_cast<LightType>(i)));
    std::string type;
    std::optional<LightType> t;
    if (read_choice(sec, "type", type, types)) t = light_type_from_string(type);
    sec.require("type");
    if (t) l.type = *t;
    const bool is_template = t == LightType::template_;
    const bool is_shelly = t == LightType::shelly_gen1 || t == LightType::shelly_rpc;

    read_checked(sec, "topic", l.topic, check_topic_prefix);
    read_checked(sec, "state_topic", l.state_topic, topic_or_empty);
    read_checked(sec, "command_topic", l.command_topic, topic_exact);
    read_checked(sec, "payload_template", l.payload_template, payload_template_check);
    read_integer(sec, "channel", l.channel, 0, 15, "light index");
    if (t && !is_template) sec.require("topic");
    if (is_template) {
        sec.require("command_topic");
        sec.require("payload_template");
    } else if (t) {
        for (auto key : {"command_topic", "payload_template"})
            if (sec.has(key))
                ctx.error(sec.key_node(key), path + "." + key + " is only used by type template (this light is type " +
                                                 type + ")");
    }
    if (t && !is_shelly && sec.has("channel"))
        ctx.error(sec.key_node("channel"), path + ".channel is only used by types shelly_gen1 and shelly_rpc");
    sec.finish();
}

void read_winddown(Ctx& ctx, const YNode* node, const std::string& path, WinddownParams& w) {
    Section sec(ctx, node, path);
    read_fields(sec, w, WINDDOWN_FIELDS);
    read_checked(sec, "bedtime", w.bedtime, bedtime_value);
    read_checked(sec, "pause_topic", w.pause_topic, topic_or_empty);

    static const std::array<std::string, 7> DAYS = {"monday", "tuesday", "wednesday", "thursday",
                                                    "friday", "saturday", "sunday"};
    Section days(ctx, as_map(sec, "bedtime_by_weekday"), path + ".bedtime_by_weekday");
    for (std::size_t i = 0; i < DAYS.size(); ++i) {
        std::string v;
        if (!read_text(days, DAYS[i], v) || v.empty()) continue;
        if (Problem p = bedtime_value(v)) ctx.error(days.get(DAYS[i]), days.name(DAYS[i]) + " " + quote(v) + " " + *p);
        else w.bedtime_by_weekday[i] = v;
    }
    days.finish();

    // The automatic bedtime is searched in a window that may pass midnight but must be a real window.
    int earliest = 0;
    int latest = 0;
    if (!check_clock_time(w.auto_earliest, &earliest) && !check_clock_time(w.auto_latest, &latest)) {
        const int window_min = ((latest - earliest) % 1440 + 1440) % 1440;
        if (window_min == 0 || window_min > 12 * 60)
            ctx.error(sec.get("auto_latest") ? sec.get("auto_latest") : (sec.get("auto_earliest") ? sec.get("auto_earliest") : node),
                      path + ": the automatic bedtime window from auto_earliest " + w.auto_earliest +
                          " to auto_latest " + w.auto_latest + " must be 1 minute to 12 hours long (it may pass midnight)");
    }

    if (const YNode* lights = as_list(sec, "lights")) {
        std::set<std::pair<int, std::string>> seen;
        for (std::size_t i = 0; i < lights->items.size(); ++i) {
            const YNode* item = lights->items[i];
            const std::string lpath = path + ".lights[" + std::to_string(i) + "]";
            if (item->kind != YNode::Kind::map) {
                ctx.error(item, lpath + " must be a mapping like {type: zigbee2mqtt, topic: zigbee2mqtt/bedroom}, got " +
                                    describe(item));
                continue;
            }
            LightSpec l;
            const std::size_t before = ctx.errors.size();
            read_light(ctx, item, lpath, l);
            if (ctx.errors.size() == before) w.lights.push_back(std::move(l));
        }
    }
    sec.finish();
}

void read_sleeper(Ctx& ctx, const YNode* node, std::size_t index, SleeperParams& s,
                  std::map<std::string, const YNode*>& ids) {
    const std::string path = "sleepers[" + std::to_string(index) + "]";
    Section sec(ctx, node, path);
    if (read_checked(sec, "id", s.id, check_id)) {
        auto [it, inserted] = ids.emplace(s.id, sec.get("id"));
        if (!inserted)
            ctx.error(sec.get("id"), path + ".id " + quote(s.id) + " is already used by another sleeper (" +
                                         at_text(it->second) + "); ids must be unique");
    }
    sec.require("id");
    if (read_checked(sec, "name", s.name, non_empty_text) && s.name.size() > 64)
        ctx.error(sec.get("name"), path + ".name is longer than 64 characters");
    if (s.name.empty()) s.name = s.id;

    if (const YNode* sensors = as_list(sec, "sensors")) {
        if (sensors->items.empty()) ctx.error(sensors, path + ".sensors is empty; a sleeper needs at least one sensor");
        std::map<std::string, const YNode*> topics;
        for (std::size_t i = 0; i < sensors->items.size(); ++i) {
            const YNode* item = sensors->items[i];
            const std::string spath = path + ".sensors[" + std::to_string(i) + "]";
            if (item->kind != YNode::Kind::map) {
                ctx.error(item, spath + " must be a mapping like {kind: accel, topic: bed/alex/accel}, got " +
                                    describe(item));
                continue;
            }
            SensorSpec spec;
            read_sensor(ctx, item, spath, spec);
            if (!spec.topic.empty()) {
                const YNode* topic_node = nullptr;
                for (const auto& [k, v] : item->pairs)
                    if (k->kind == YNode::Kind::scalar && k->value == "topic") topic_node = v;
                auto [it, inserted] = topics.emplace(spec.topic, topic_node);
                if (!inserted)
                    ctx.error(topic_node, spath + ".topic " + quote(spec.topic) + " is already used by another sensor of " +
                                              "this sleeper (" + at_text(it->second) + "); each topic once per sleeper");
            }
            s.sensors.push_back(std::move(spec));
        }
    } else if (!sec.has("sensors") || sec.get("sensors")->kind == YNode::Kind::null) {
        ctx.error(sec.has("sensors") ? sec.get("sensors") : node,
                  path + " needs 'sensors': at least one, e.g. {kind: accel, topic: bed/<id>/accel}");
    }

    Section det(ctx, as_map(sec, "detector"), path + ".detector");
    read_fields(det, s.detector, DETECTOR_FIELDS);
    if (s.detector.off_k >= s.detector.on_k) check_order(det, "off_k", s.detector.off_k, "on_k", s.detector.on_k, false);
    if (s.detector.twitch_max_s >= s.detector.lm_max_s)
        check_order(det, "twitch_max_s", s.detector.twitch_max_s, "lm_max_s", s.detector.lm_max_s, false);
    det.finish();

    Section night(ctx, as_map(sec, "night"), path + ".night");
    read_fields(night, s.night, NIGHT_FIELDS);
    read_choice(night, "sleep_algorithm", s.night.sleep_algorithm, {"cole-kripke", "sadeh", "oakley"});
    night.finish();

    Section heavy(ctx, as_map(sec, "heavy"), path + ".heavy");
    read_fields(heavy, s.heavy, HEAVY_FIELDS);
    if (s.heavy.min_nights > s.heavy.baseline_nights)
        check_order(heavy, "min_nights", s.heavy.min_nights, "baseline_nights", s.heavy.baseline_nights, true);
    heavy.finish();

    read_winddown(ctx, as_map(sec, "winddown"), path + ".winddown", s.winddown);

    Section advice(ctx, as_map(sec, "advice"), path + ".advice");
    read_fields(advice, s.advice, ADVICE_FIELDS);
    if (s.advice.min_nights > s.advice.history_nights)
        check_order(advice, "min_nights", s.advice.min_nights, "history_nights", s.advice.history_nights, true);
    if (s.advice.plm_nights > s.advice.plm_window_nights)
        check_order(advice, "plm_nights", s.advice.plm_nights, "plm_window_nights", s.advice.plm_window_nights, true);
    advice.finish();
    sec.finish();
}

// ---------------------------------------------------------------------------------------------
// shard: "i/n" (docs/scale.md)

constexpr unsigned MAX_SHARDS = 1024;

// Parses "i/n" with 0 <= i < n <= MAX_SHARDS; the message says what is wrong.
void read_shard(Section& top, ShardOptions& out) {
    std::string text;
    if (!read_text(top, "shard", text)) return;
    const auto fail = [&](const std::string& why) {
        top.ctx().error(top.get("shard"), "shard " + quote(text) + " " + why);
    };
    const auto slash = text.find('/');
    const auto number = [](std::string_view digits, unsigned& v) {
        if (digits.empty() || digits.size() > 4) return false;
        v = 0;
        for (const char ch : digits) {
            if (ch < '0' || ch > '9') return false;
            v = v * 10 + static_cast<unsigned>(ch - '0');
        }
        return true;
    };
    unsigned index = 0;
    unsigned count = 0;
    if (slash == std::string::npos || !number(std::string_view(text).substr(0, slash), index) ||
        !number(std::string_view(text).substr(slash + 1), count)) {
        fail("must be \"i/n\": this instance's index i and the number of instances n, e.g. \"0/3\"");
        return;
    }
    if (count < 1 || count > MAX_SHARDS) {
        fail("has " + std::to_string(count) + " instances; n must be 1.." + std::to_string(MAX_SHARDS));
        return;
    }
    if (index >= count) {
        fail("has index " + std::to_string(index) + "; i must be 0.." + std::to_string(count - 1) + " (counted from 0)");
        return;
    }
    out = ShardOptions{index, count};
}

// ---------------------------------------------------------------------------------------------

void read_root(Ctx& ctx, const YNode* root, Config& c) {
    Section top(ctx, root, "");
    if (const YNode* v = top.get("version")) {
        int version = 0;
        if (read_integer(top, "version", version, 0, 1e9, {}) && version != SUPPORTED_VERSION)
            ctx.error(v, "unsupported configuration version " + std::to_string(version) + "; supported versions: " +
                             std::to_string(SUPPORTED_VERSION));
        else if (version == SUPPORTED_VERSION) c.version = version;
    } else {
        ctx.error(root, "missing required key 'version'; add 'version: 1' (supported versions: 1)");
    }

    read_mqtt(ctx, as_map(top, "mqtt"), c.mqtt);
    read_shard(top, c.mqtt.shard);
    {
        Section ha(ctx, as_map(top, "homeassistant"), "homeassistant");
        read_fields(ha, c.homeassistant, HA_FIELDS);
        ha.finish();
    }
    read_checked(top, "timezone", c.timezone, +[](std::string_view s) { return check_timezone(s); });
    if (read_checked(top, "state_dir", c.state_dir, non_empty_text)) c.state_dir = ctx.resolve(c.state_dir);
    {
        Section store(ctx, as_map(top, "store"), "store");
        if (read_checked(store, "path", c.store.path, non_empty_text)) c.store.path = ctx.resolve(c.store.path);
        read_integer(store, "retention_days", c.store.retention_days, 0, 36500, "days");
        read_bool(store, "journal", c.store.journal);
        read_bool(store, "journal_fsync", c.store.journal_fsync);
        store.finish();
    }
    {
        Section log(ctx, as_map(top, "log"), "log");
        read_choice(log, "level", c.log.level, {"trace", "debug", "info", "warn", "error"});
        log.finish();
    }
    {
        Section web(ctx, as_map(top, "web"), "web");
        read_fields(web, c.web, WEB_FIELDS);
        if (const YNode* allow = as_list(web, "allow_from")) {
            for (std::size_t i = 0; i < allow->items.size(); ++i) {
                const YNode* item = allow->items[i];
                const std::string where = "web.allow_from[" + std::to_string(i) + "]";
                if (item->kind != YNode::Kind::scalar || item->value.empty())
                    ctx.error(item, where + " must be an IP address or CIDR range such as 172.30.32.2, got " + describe(item));
                else if (const Problem why = check_peer_range(item->value))
                    ctx.error(item, where + " " + quote(item->value) + " " + *why);
                else
                    c.web.allow_from.push_back(item->value);
            }
        }
        web.finish();
    }
    read_choice(top, "language", c.plugin.language, {"en", "de"});

    if (const YNode* sleepers = as_list(top, "sleepers")) {
        std::map<std::string, const YNode*> ids;
        if (sleepers->items.empty()) ctx.error(sleepers, "sleepers is empty; configure at least one sleeper");
        for (std::size_t i = 0; i < sleepers->items.size(); ++i) {
            const YNode* item = sleepers->items[i];
            if (item->kind != YNode::Kind::map) {
                ctx.error(item, "sleepers[" + std::to_string(i) + "] must be a mapping with id and sensors, got " +
                                    describe(item));
                continue;
            }
            SleeperParams s;
            read_sleeper(ctx, item, i, s, ids);
            c.plugin.sleepers.push_back(std::move(s));
        }
    } else if (!top.has("sleepers") || top.get("sleepers")->kind == YNode::Kind::null) {
        ctx.error(top.has("sleepers") ? top.get("sleepers") : root,
                  "missing required key 'sleepers': configure at least one sleeper with an id and sensors");
    }
    c.plugin.base_topic = c.mqtt.base_topic;
    // The advice texts of the chosen language come from the compiled-in translation file.
    std::map<std::string, std::string> texts;
    for (const std::string& p : config_detail::parse_advice_texts(config_detail::ADVICE_TEXTS_YAML, c.plugin.language, texts))
        ctx.error(top.get("language"), "config/advice/texts.yaml (built in): " + p);
    for (SleeperParams& s : c.plugin.sleepers) s.advice.texts = texts;
    top.finish();
}

ConfigResult load(const std::string& text, const std::string& name, std::filesystem::path base_dir) {
    ConfigResult r;
    r.config.source = name;
    Ctx ctx{name, std::move(base_dir), {}, false};
    try {
        config_detail::YamlDocument doc = config_detail::parse_yaml(text);
        for (const auto& p : doc.problems) ctx.error(p.line, p.column, p.message);
        if (doc.problems.empty()) {
            if (doc.root == nullptr || doc.root->kind == YNode::Kind::null) {
                ctx.error(doc.root, "the configuration is empty; it needs at least 'version: 1' and 'sleepers'");
            } else if (doc.root->kind != YNode::Kind::map) {
                ctx.error(doc.root, "the top level must be a mapping of keys such as 'version: 1', got " +
                                        describe(doc.root));
            } else {
                read_root(ctx, doc.root, r.config);
            }
        }
    } catch (const std::exception& e) {
        // A loader bug or an allocation failure must still come out as an error, not a crash.
        ctx.errors.push_back({name, 0, 0, std::string("internal error while reading the configuration: ") + e.what()});
    }
    std::stable_sort(ctx.errors.begin(), ctx.errors.end(), [](const ConfigError& a, const ConfigError& b) {
        return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
    if (ctx.capped)
        ctx.errors.push_back({name, 0, 0, "too many errors; only the first " + std::to_string(MAX_ERRORS) + " are listed"});
    r.errors = std::move(ctx.errors);
    return r;
}

}  // namespace

ConfigResult load_config_text(const std::string& text, const std::string& name) { return load(text, name, {}); }

ConfigResult load_config_file(const std::string& path) {
    ConfigResult r;
    r.config.source = path;
    auto fail = [&](std::string message) {
        r.errors.push_back({path, 0, 0, std::move(message)});
        return r;
    };
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec) return fail("cannot read the configuration file: " + ec.message());
    if (std::filesystem::is_directory(status)) return fail("cannot read the configuration file: it is a directory");
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return fail("cannot read the configuration file: " + os_reason(errno));
    std::string text;
    char buf[65536];
    std::size_t got = 0;
    // Read one byte past the limit so that an oversized file is reported, not silently cut.
    while (text.size() <= config_detail::MAX_CONFIG_BYTES && (got = std::fread(buf, 1, sizeof buf, f)) > 0)
        text.append(buf, got);
    const bool failed = std::ferror(f) != 0;
    const int err = errno;
    std::fclose(f);
    if (failed) return fail("cannot read the configuration file: " + os_reason(err));
    if (text.size() > config_detail::MAX_CONFIG_BYTES)
        return fail("the configuration file is larger than the limit of " +
                    std::to_string(config_detail::MAX_CONFIG_BYTES) + " bytes (1 MiB)");
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (dir.empty()) dir = ".";
    return load(text, path, dir);
}

}  // namespace hypnic
