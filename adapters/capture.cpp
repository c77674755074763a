// JSON Lines captures: a strict, bounded reader and the capture/publication line writers.
#include "adapters/capture.hpp"

#include <boost/json.hpp>
#include <algorithm>
#include <cmath>
#include <cstring>

#include "adapters/decoders/json_fast.hpp"
#include "adapters/json_out.hpp"

namespace hypnic {

namespace {
namespace json = boost::json;
constexpr std::size_t MAX_LINE_BYTES = std::size_t{64} << 20;  // 64 MiB
constexpr int TS_DECIMALS = 6;                                  // microseconds
constexpr std::size_t READ_CHUNK_BYTES = 64 * 1024;

constexpr char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::string_view in) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                           static_cast<unsigned char>(in[i + 2]);
        out += {B64[(v >> 18) & 63], B64[(v >> 12) & 63], B64[(v >> 6) & 63], B64[v & 63]};
    }
    if (i + 1 == in.size()) {
        const unsigned v = static_cast<unsigned char>(in[i]) << 16;
        out += {B64[(v >> 18) & 63], B64[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == in.size()) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
        out += {B64[(v >> 18) & 63], B64[(v >> 12) & 63], B64[(v >> 6) & 63], '='};
    }
    return out;
}

// Strict RFC 4648 base64 (padding required); returns false on any other character or length.
bool base64_decode(std::string_view in, std::string& out, std::string& why) {
    out.clear();
    if (in.size() % 4 != 0) {
        why = "length " + std::to_string(in.size()) + " is not a multiple of 4";
        return false;
    }
    const auto val = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    out.reserve(in.size() / 4 * 3);
    for (std::size_t i = 0; i < in.size(); i += 4) {
        const bool last = i + 4 == in.size();
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = in[i + static_cast<std::size_t>(k)];
            if (c == '=' && last && k >= 2) {
                v[k] = 0;
                ++pad;
                continue;
            }
            v[k] = val(c);
            if (v[k] < 0 || pad > 0) {
                why = "invalid character at offset " + std::to_string(i + static_cast<std::size_t>(k));
                return false;
            }
        }
        const unsigned n = (static_cast<unsigned>(v[0]) << 18) | (static_cast<unsigned>(v[1]) << 12) |
                           (static_cast<unsigned>(v[2]) << 6) | static_cast<unsigned>(v[3]);
        out.push_back(static_cast<char>((n >> 16) & 0xFF));
        if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xFF));
        if (pad < 1) out.push_back(static_cast<char>(n & 0xFF));
    }
    return true;
}

// 1-based column of the first occurrence of a key in the raw line, for errors about that field.
std::size_t column_of(const std::string& line, std::string_view key) {
    const std::size_t pos = line.find("\"" + std::string(key) + "\"");
    return pos == std::string::npos ? 1 : pos + 1;
}

// The plain valid line, read with simdjson On-Demand: exactly the fields "ts" (a number), "topic"
// (a non-empty string) and one of "payload" (a string) or "payload_b64" (valid base64), each once,
// in any order, nothing after the object. False on anything else, and the line then goes to the
// complete Boost.JSON reader below, so every error message stays that reader's. The time stamp
// is read by fastjson::parse_number (typed as Boost.JSON types it, correctly rounded).
bool read_plain_line(fastjson::od::parser& parser, std::string& text, CaptureLine& line) {
    namespace od = fastjson::od;
    od::document doc;
    if (fastjson::iterate_in_place(parser, text).get(doc) != simdjson::SUCCESS) return false;
    od::object o;
    if (doc.get_object().get(o) != simdjson::SUCCESS) return false;
    bool have_ts = false, have_topic = false, have_payload = false;
    double t = 0;
    for (auto field : o) {
        std::string_view key;
        if (field.unescaped_key().get(key) != simdjson::SUCCESS) return false;
        od::value v;
        if (field.value().get(v) != simdjson::SUCCESS) return false;
        if (key == "ts") {
            if (have_ts || !fastjson::number(v, t)) return false;
            have_ts = true;
        } else if (key == "topic") {
            std::string_view topic;
            if (have_topic || v.get_string().get(topic) != simdjson::SUCCESS || topic.empty()) return false;
            line.topic.assign(topic.data(), topic.size());
            have_topic = true;
        } else if (key == "payload" || key == "payload_b64") {
            std::string_view payload;
            if (have_payload || v.get_string().get(payload) != simdjson::SUCCESS) return false;
            if (key == "payload") {
                line.payload.assign(payload.data(), payload.size());
            } else {
                std::string why;
                if (!base64_decode(payload, line.payload, why)) return false;
            }
            have_payload = true;
        } else {
            return false;
        }
    }
    if (!have_ts || !have_topic || !have_payload || !fastjson::at_end(doc)) return false;
    if (!std::isfinite(t) || t < 0) return false;
    line.ts = t;
    return true;
}

bool blank(const std::string& s) {
    for (const char c : s)
        if (c != ' ' && c != '\t' && c != '\r') return false;
    return true;
}
}  // namespace

struct CaptureReader::Fast {
    fastjson::od::parser parser;
};

CaptureReader::CaptureReader(std::istream& in, std::string name)
    : in_(in), name_(std::move(name)), fast_(std::make_unique<Fast>()) {}

CaptureReader::~CaptureReader() = default;

CaptureReader::Status CaptureReader::next(CaptureLine& line, std::string& error) {
    std::streambuf* sb = in_.rdbuf();
    release_if_huge();  // after a huge line, good or bad
    for (;;) {
        buf_.clear();
        bool any = false;
        bool too_long = false;
        // Read up to the newline ourselves (std::getline has no length limit), a block at a time:
        // scanning for the newline with memchr is what lets a capture be read at memory speed.
        for (;;) {
            if (chunk_pos_ == chunk_.size()) {
                chunk_.resize(READ_CHUNK_BYTES);
                const std::streamsize n = sb == nullptr ? 0 : sb->sgetn(chunk_.data(), static_cast<std::streamsize>(chunk_.size()));
                chunk_.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
                chunk_pos_ = 0;
                if (chunk_.empty()) break;
            }
            const char* start = chunk_.data() + chunk_pos_;
            const std::size_t avail = chunk_.size() - chunk_pos_;
            const char* nl = static_cast<const char*>(std::memchr(start, '\n', avail));
            const std::size_t take = nl == nullptr ? avail : static_cast<std::size_t>(nl - start);
            any = true;
            if (!too_long) {
                const std::size_t room = MAX_LINE_BYTES - buf_.size();
                if (take > room) too_long = true;
                buf_.append(start, std::min(take, room));
            }
            chunk_pos_ += take + (nl == nullptr ? 0 : 1);
            if (nl != nullptr) break;
        }
        if (!any) return Status::end;
        ++line_no_;
        if (too_long) {
            buf_.clear();
            buf_.shrink_to_fit();
            error = name_ + ":" + std::to_string(line_no_) + ":1: line longer than 64 MiB, skipped";
            return Status::bad_line;
        }
        if (!buf_.empty() && buf_.back() == '\r') buf_.pop_back();
        if (blank(buf_)) continue;

        if (fast_enabled_ && read_plain_line(fast_->parser, buf_, line)) {
            release_if_huge();
            return Status::ok;
        }
        // Not the plain valid shape: the complete reader below finds and names what is wrong.
        const std::string where = name_ + ":" + std::to_string(line_no_) + ":";
        json::parse_options opts;
        opts.max_depth = 4;
        // The parser's stack and the parsed line live in buffers on this frame: no allocation per
        // line for the short fields, one block for a long payload, all released at once.
        unsigned char temp[1024];
        unsigned char arena[8192];
        json::monotonic_resource mr(arena, sizeof arena);
        json::parser p(json::storage_ptr(), opts, temp);
        p.reset(&mr);
        boost::system::error_code ec;
        const std::size_t used = p.write(buf_.data(), buf_.size(), ec);
        if (ec) {
            error = where + std::to_string(used + 1) + ": invalid JSON: " + ec.message();
            return Status::bad_line;
        }
        const json::value v = p.release();
        const json::object* o = v.if_object();
        if (o == nullptr) {
            error = where + "1: expected an object {\"ts\", \"topic\", \"payload\"}";
            return Status::bad_line;
        }
        const json::value* ts = o->if_contains("ts");
        double t = 0;
        if (ts == nullptr) {
            error = where + "1: missing \"ts\"";
            return Status::bad_line;
        }
        if (ts->is_double())
            t = ts->get_double();
        else if (ts->is_int64())
            t = static_cast<double>(ts->get_int64());
        else if (ts->is_uint64())
            t = static_cast<double>(ts->get_uint64());
        else {
            error = where + std::to_string(column_of(buf_, "ts")) + ": \"ts\" must be a number (Unix seconds)";
            return Status::bad_line;
        }
        if (!std::isfinite(t) || t < 0) {
            error = where + std::to_string(column_of(buf_, "ts")) + ": \"ts\" must be finite and not negative";
            return Status::bad_line;
        }
        const json::value* topic = o->if_contains("topic");
        if (topic == nullptr || !topic->is_string() || topic->get_string().empty()) {
            error = where + std::to_string(topic ? column_of(buf_, "topic") : 1) +
                    ": \"topic\" must be a non-empty string";
            return Status::bad_line;
        }
        const json::value* payload = o->if_contains("payload");
        const json::value* b64 = o->if_contains("payload_b64");
        if ((payload == nullptr) == (b64 == nullptr)) {
            error = where + "1: exactly one of \"payload\" and \"payload_b64\" is required";
            return Status::bad_line;
        }
        if (payload != nullptr) {
            if (!payload->is_string()) {
                error = where + std::to_string(column_of(buf_, "payload")) + ": \"payload\" must be a string";
                return Status::bad_line;
            }
            line.payload.assign(payload->get_string().data(), payload->get_string().size());
        } else {
            std::string why;
            if (!b64->is_string() ||
                !base64_decode(std::string_view(b64->get_string().data(), b64->get_string().size()), line.payload, why)) {
                error = where + std::to_string(column_of(buf_, "payload_b64")) + ": \"payload_b64\" is not base64" +
                        (why.empty() ? std::string(" (not a string)") : " (" + why + ")");
                return Status::bad_line;
            }
        }
        line.ts = t;
        line.topic.assign(topic->get_string().data(), topic->get_string().size());
        release_if_huge();
        return Status::ok;
    }
}

// Releases a huge line's memory (the line and the parser's buffers sized for it) rather than keep
// it for the rest of the file.
void CaptureReader::release_if_huge() {
    constexpr std::size_t HUGE_BYTES = std::size_t{1} << 20;
    if (buf_.capacity() > HUGE_BYTES) {
        buf_.clear();
        buf_.shrink_to_fit();
    }
    if (fast_->parser.capacity() > HUGE_BYTES) fast_->parser = fastjson::od::parser();
}

namespace {
// The fields a capture line and a publication line share: arrival time, topic, and the payload as
// text, or base64 when it is not UTF-8.
void write_message(JsonWriter& w, UnixS ts, const std::string& topic, const std::string& payload) {
    w.key("ts").number(ts, TS_DECIMALS);
    w.key("topic").value(topic);
    if (is_valid_utf8(payload))
        w.key("payload").value(payload);
    else
        w.key("payload_b64").value(base64_encode(payload));
}
}  // namespace

void write_capture_line(std::ostream& out, const CaptureLine& line) {
    JsonWriter w;
    w.begin_object();
    write_message(w, line.ts, line.topic, line.payload);
    w.end_object();
    out << w.str() << '\n';
}

void write_publication_line(std::ostream& out, const Publication& p) {
    JsonWriter w;
    w.begin_object();
    write_message(w, p.ts, p.topic, p.payload);
    w.key("retain").value(p.retain);
    w.key("qos").value(p.qos);
    w.end_object();
    out << w.str() << '\n';
}

}  // namespace hypnic
