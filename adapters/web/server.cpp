// The live view's HTTP server: Beast sessions with size limits, timeouts and GET/HEAD only.
#include "adapters/web/server.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>

namespace hypnic::web {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t REFUSED_PEERS_MAX = 1024;
constexpr int REFUSED_LOG_EVERY_S = 60;

constexpr const char* CSP =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'self'; form-action 'none'";

bool path_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '.' ||
           c == '-' || c == '_';
}

}  // namespace

std::optional<Request> parse_target(std::string_view target) {
    if (target.empty() || target.size() > MAX_TARGET_BYTES || target.front() != '/') return std::nullopt;
    Request r;
    const auto q = target.find('?');
    r.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
    for (char c : r.path)
        if (!path_char(c)) return std::nullopt;
    if (r.path.find("..") != std::string::npos || r.path.find("//") != std::string::npos) return std::nullopt;
    for (char c : r.query)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::nullopt;
    return r;
}

std::string safe_ingress_path(std::string_view h) {
    if (h.empty() || h.size() > 256 || h.front() != '/') return {};
    for (char c : h)
        if (!path_char(c)) return {};
    if (h.find("..") != std::string_view::npos || h.find("//") != std::string_view::npos) return {};
    while (!h.empty() && h.back() == '/') h.remove_suffix(1);
    return std::string(h);
}

std::optional<std::string> query_param(std::string_view query, std::string_view key) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view part = query.substr(0, amp);
        const auto eq = part.find('=');
        if (part.substr(0, eq) == key) return std::string(eq == std::string_view::npos ? "" : part.substr(eq + 1));
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

PeerRange parse_peer_range(std::string_view text) {
    std::string shown(text.substr(0, 64));
    for (char& c : shown)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';  // log-safe
    auto bad = [&](const std::string& why) {
        return std::invalid_argument("web.allow_from entry '" + shown + "': " + why);
    };
    if (text.empty()) throw bad("is empty");
    if (text.size() > 64) throw bad("is longer than 64 characters");
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' || c == ':' ||
              c == '/'))
            throw bad(c == '%' ? "zone ids (%eth0) are not allowed"
                               : "must be an IP address or CIDR range such as 172.30.32.2 or 10.0.0.0/8, not a host name");
    const auto slash = text.find('/');
    const std::string addr_text(text.substr(0, slash));
    beast::error_code ec;
    PeerRange r;
    r.network = asio::ip::make_address(addr_text, ec);
    if (ec) throw bad("'" + addr_text + "' is not an IPv4 or IPv6 address");
    const unsigned max_bits = r.network.is_v4() ? 32 : 128;
    r.prefix_bits = max_bits;
    if (slash != std::string_view::npos) {
        const std::string_view bits = text.substr(slash + 1);
        if (bits.empty() || bits.size() > 3 || bits.find_first_not_of("0123456789") != std::string_view::npos)
            throw bad("the prefix length after '/' must be a number 0.." + std::to_string(max_bits));
        const unsigned n = static_cast<unsigned>(std::stoul(std::string(bits)));
        if (n > max_bits) throw bad("prefix length " + std::to_string(n) + " is over " + std::to_string(max_bits));
        r.prefix_bits = n;
    }
    return r;
}

namespace {

/// The address as bytes, an IPv4-mapped IPv6 address as its IPv4 address.
std::vector<unsigned char> address_bytes(asio::ip::address a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped()) a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
    if (a.is_v4()) {
        const auto b = a.to_v4().to_bytes();
        return {b.begin(), b.end()};
    }
    const auto b = a.to_v6().to_bytes();
    return {b.begin(), b.end()};
}

}  // namespace

bool peer_allowed(const std::vector<PeerRange>& allow, const asio::ip::address& peer) {
    if (allow.empty()) return true;
    const auto p = address_bytes(peer);
    for (const auto& r : allow) {
        const auto n = address_bytes(r.network);
        if (n.size() != p.size()) continue;
        const unsigned bits = std::min<unsigned>(r.prefix_bits, static_cast<unsigned>(n.size() * 8));
        bool match = true;
        for (unsigned bit = 0; bit < bits && match; ++bit) {
            const unsigned mask = 0x80u >> (bit % 8);
            match = (n[bit / 8] & mask) == (p[bit / 8] & mask);
        }
        if (match) return true;
    }
    return false;
}

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
    asio::io_context& io;
    tcp::acceptor acceptor;
    Handler handler;
    std::vector<PeerRange> allow;
    LogSink log;
    std::atomic<std::size_t> open{0};
    bool stopped = false;

    /// Refused peers already logged: when, and how many refusals since (so a scan cannot flood the log).
    struct Refused {
        std::chrono::steady_clock::time_point logged{};
        std::uint64_t suppressed = 0;
    };
    std::map<std::string, Refused> refused;

    Impl(asio::io_context& ctx, Handler h) : io(ctx), acceptor(ctx), handler(std::move(h)) {}

    void note_refused(const std::string& peer) {
        if (!log) return;
        const auto now = std::chrono::steady_clock::now();
        if (refused.size() >= REFUSED_PEERS_MAX && !refused.count(peer)) refused.clear();  // bounded memory
        auto [it, fresh] = refused.try_emplace(peer);
        if (!fresh && now - it->second.logged < std::chrono::seconds(REFUSED_LOG_EVERY_S)) {
            ++it->second.suppressed;
            return;
        }
        std::string line = "web view: refused " + peer + " (not in web.allow_from), answered 403";
        if (it->second.suppressed)
            line += " [" + std::to_string(it->second.suppressed) + " more from it since the last note]";
        log(line);
        it->second.logged = now;
        it->second.suppressed = 0;
    }

    void accept() {
        acceptor.async_accept([self = shared_from_this()](const beast::error_code& ec, tcp::socket socket) {
            if (self->stopped) return;
            if (!ec) {
                if (self->open.load() >= MAX_CONNECTIONS) {
                    beast::error_code ignored;
                    socket.close(ignored);  // a flood of connections must not exhaust file descriptors
                } else {
                    std::make_shared<Session>(self, std::move(socket))->start();
                }
            }
            self->accept();
        });
    }

    class Session : public std::enable_shared_from_this<Session> {
    public:
        Session(std::shared_ptr<Impl> owner, tcp::socket socket) : owner_(std::move(owner)), stream_(std::move(socket)) {
            ++owner_->open;
        }
        ~Session() { --owner_->open; }

        void start() {
            parser_.emplace();
            parser_->header_limit(static_cast<std::uint32_t>(MAX_HEADER_BYTES));
            parser_->body_limit(MAX_BODY_BYTES);
            stream_.expires_after(std::chrono::seconds(TIMEOUT_S));
            http::async_read(stream_, buffer_, *parser_,
                             [self = shared_from_this()](const beast::error_code& ec, std::size_t) { self->on_read(ec); });
        }

    private:
        void on_read(const beast::error_code& ec) {
            const bool gone = ec == http::error::end_of_stream || ec == beast::error::timeout ||
                              ec == asio::error::eof || ec == asio::error::connection_reset;
            if (gone) return close();
            // A peer outside the allow-list learns nothing else, not even how its request was malformed.
            if (!owner_->allow.empty()) {
                beast::error_code pec;
                const auto peer = stream_.socket().remote_endpoint(pec);
                if (pec || !peer_allowed(owner_->allow, peer.address())) {
                    owner_->note_refused(pec ? std::string("an unknown peer") : peer.address().to_string());
                    return reply(403, "forbidden\n", !ec && parser_->get().method() == http::verb::head);
                }
            }
            if (ec == http::error::header_limit) return reply(431, "request headers too large\n", false);
            if (ec == http::error::body_limit) return reply(413, "request body too large\n", false);
            if (ec) return reply(400, "bad request\n", false);  // garbage, with someone still there to read it
            const auto& req = parser_->get();
            const bool head = req.method() == http::verb::head;
            if (req.method() != http::verb::get && !head) return reply(405, "only GET and HEAD\n", false);
            auto r = parse_target(std::string_view(req.target().data(), req.target().size()));
            if (!r) return reply(400, "bad request target\n", head);
            r->head = head;
            auto ing = req.find("X-Ingress-Path");
            if (ing != req.end()) r->ingress_path = safe_ingress_path(std::string_view(ing->value().data(), ing->value().size()));
            Response out;
            try {
                out = owner_->handler(*r);
            } catch (const std::exception& e) {
                out = Response{500, "text/plain; charset=utf-8", std::string("internal error: ") + e.what() + "\n"};
            }
            send(out, head);
        }

        void reply(int status, const std::string& text, bool head) {
            send(Response{status, "text/plain; charset=utf-8", text}, head);
        }

        void send(const Response& r, bool head) {
            res_.result(static_cast<unsigned>(r.status));
            res_.version(11);
            res_.set(http::field::server, "hypnicd");
            res_.set(http::field::content_type, r.content_type);
            res_.set(http::field::cache_control, "no-store");
            res_.set("X-Content-Type-Options", "nosniff");
            res_.set("Content-Security-Policy", CSP);
            res_.set("Referrer-Policy", "no-referrer");
            if (r.status == 405) res_.set(http::field::allow, "GET, HEAD");
            res_.keep_alive(false);
            res_.body() = r.body;
            res_.prepare_payload();
            if (head) res_.body().clear();  // HEAD: the length of the GET answer, no body
            stream_.expires_after(std::chrono::seconds(TIMEOUT_S));
            auto self = shared_from_this();
            if (head) {
                serializer_.emplace(res_);
                http::async_write_header(stream_, *serializer_,
                                         [self](const beast::error_code&, std::size_t) { self->close(); });
            } else {
                http::async_write(stream_, res_, [self](const beast::error_code&, std::size_t) { self->close(); });
            }
        }

        /// Lingering close: stop sending, then drain what the peer still sends (for a short while),
        /// so that unread request bytes do not turn into a reset that destroys the answer in flight.
        void close() {
            beast::error_code ignored;
            stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
            stream_.expires_after(std::chrono::seconds(2));
            drain();
        }

        void drain() {
            stream_.async_read_some(asio::buffer(scratch_), [self = shared_from_this()](const beast::error_code& ec,
                                                                                         std::size_t) {
                if (!ec) return self->drain();
                beast::error_code ignored;
                self->stream_.socket().close(ignored);
            });
        }

        std::shared_ptr<Impl> owner_;
        beast::tcp_stream stream_;
        beast::flat_buffer buffer_{MAX_HEADER_BYTES + MAX_BODY_BYTES + 1024};
        std::optional<http::request_parser<http::string_body>> parser_;
        http::response<http::string_body> res_;
        std::optional<http::response_serializer<http::string_body>> serializer_;
        char scratch_[4096];
    };
};

Server::Server(asio::io_context& io, const WebOptions& o, Handler handler, LogSink log)
    : impl_(std::make_shared<Impl>(io, std::move(handler))) {
    const std::string where = o.listen + " port " + std::to_string(o.port);
    impl_->log = std::move(log);
    for (const auto& entry : o.allow_from) {
        try {
            impl_->allow.push_back(parse_peer_range(entry));
        } catch (const std::invalid_argument& e) {
            throw std::runtime_error(std::string("web view: ") + e.what());
        }
    }
    beast::error_code ec;
    const auto addr = asio::ip::make_address(o.listen, ec);
    if (ec) throw std::runtime_error("web view: '" + o.listen + "' is not an IP address");
    if (o.port < 0 || o.port > 65535) throw std::runtime_error("web view: port " + std::to_string(o.port) + " is out of range");
    const tcp::endpoint ep(addr, static_cast<unsigned short>(o.port));
    auto& a = impl_->acceptor;
    a.open(ep.protocol(), ec);
    if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) a.bind(ep, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("web view: cannot listen on " + where + ": " + ec.message());
    impl_->accept();
}

Server::~Server() { stop(); }

unsigned short Server::port() const {
    beast::error_code ec;
    const auto ep = impl_->acceptor.local_endpoint(ec);
    return ec ? 0 : ep.port();
}

void Server::stop() {
    if (impl_->stopped) return;
    impl_->stopped = true;
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
}

}  // namespace hypnic::web
