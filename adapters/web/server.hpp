// A small GET-only HTTP/1.1 server (Boost.Beast) on the daemon's io_context, for the live night report.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/options.hpp"

namespace hypnic::web {

/// One checked request, as the handler sees it.
struct Request {
    bool head = false;         ///< HEAD: the server sends the headers of the handler's answer only
    std::string path;          ///< starts with '/', no "..", no '%', no "//", no control characters
    std::string query;         ///< the raw text after '?', may be empty
    std::string ingress_path;  ///< Home Assistant's X-Ingress-Path, checked (see safe_ingress_path); may be empty
};

struct Response {
    int status = 200;
    std::string content_type = "text/html; charset=utf-8";
    std::string body;
};

/// Answers a request. Runs on the io_context's thread; must not block for long (it may read SQLite).
using Handler = std::function<Response(const Request&)>;

/// Limits. A request over them is answered 431 (headers) or 413 (body) and the connection closed.
inline constexpr std::size_t MAX_HEADER_BYTES = 8 * 1024;
inline constexpr std::size_t MAX_BODY_BYTES = 1024;
inline constexpr std::size_t MAX_TARGET_BYTES = 1024;
inline constexpr std::size_t MAX_CONNECTIONS = 32;  ///< more at once are closed at accept
inline constexpr int TIMEOUT_S = 10;                ///< a request must arrive (and its answer leave) within this

/// Splits a request target into path and query and checks the path; nullopt when it is refused
/// (not starting with '/', too long, "..", "//", '\\', '%' or control characters: there is no
/// encoded or relative path among the pages, so nothing of the kind is ever needed).
std::optional<Request> parse_target(std::string_view target);

/// The X-Ingress-Path header when it is a plain absolute path ('/' then [A-Za-z0-9_./-], no "..",
/// at most 256 bytes), without a trailing '/'; empty otherwise.
std::string safe_ingress_path(std::string_view header);

/// The value of `key` in a query string ("a=1&b=2"), undecoded; nullopt when absent.
std::optional<std::string> query_param(std::string_view query, std::string_view key);

/// One range of peers the server accepts: `prefix_bits` leading bits of `network` (IPv4 0..32,
/// IPv6 0..128; a plain address is the whole length).
struct PeerRange {
    boost::asio::ip::address network;
    unsigned prefix_bits = 0;
};

/// Parses one web.allow_from entry: an IPv4 or IPv6 address, optionally "/<prefix length>"
/// ("172.30.32.2", "10.0.0.0/8", "::1", "fd00::/8"; host bits under the prefix are ignored).
/// Throws std::invalid_argument naming the entry and why (empty, too long, not an address, host
/// name, zone id, bad or out-of-range prefix).
PeerRange parse_peer_range(std::string_view text);

/// True when `peer` lies in one of `allow` (empty: every peer). IPv4-mapped IPv6 peers
/// (::ffff:a.b.c.d, seen on a dual-stack "::" listener) are compared as their IPv4 address.
bool peer_allowed(const std::vector<PeerRange>& allow, const boost::asio::ip::address& peer);

/// Receives the server's log lines (refused peers), at most one per peer per minute.
using LogSink = std::function<void(const std::string& line)>;

/// Listens on options.listen:options.port (port 0: any free port, for tests) until stop() or
/// destruction. Only GET and HEAD are served (others: 405); every answer closes the connection and
/// carries Cache-Control: no-store, X-Content-Type-Options: nosniff and a Content-Security-Policy
/// that allows nothing from elsewhere. A peer outside options.allow_from is answered 403 whatever it
/// asks, and `log` hears of it (rate-limited per peer). The constructor throws std::runtime_error
/// naming the address when it cannot listen or an allow_from entry is invalid.
class Server {
public:
    Server(boost::asio::io_context& io, const WebOptions& options, Handler handler, LogSink log = {});
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// The port actually bound.
    unsigned short port() const;
    /// Stops accepting; open connections finish or time out.
    void stop();

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace hypnic::web
