// Tests of the live view's HTTP server: real sockets on loopback, limits, methods, paths and ingress.
#include <catch2/catch.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/web/server.hpp"

using namespace hypnic;
using boost::asio::ip::tcp;

namespace {

/// A server on a free loopback port, running on its own thread for the test's lifetime.
class Running {
public:
    explicit Running(web::Handler h, std::vector<std::string> allow_from = {}, web::LogSink log = {}) {
        WebOptions o;
        o.listen = "127.0.0.1";
        o.port = 0;
        o.allow_from = std::move(allow_from);
        server_ = std::make_unique<web::Server>(io_, o, std::move(h), std::move(log));
        thread_ = std::thread([this] { io_.run(); });
    }
    ~Running() {
        boost::asio::post(io_, [this] { server_->stop(); });
        io_.stop();
        thread_.join();
    }
    unsigned short port() const { return server_->port(); }

    /// Sends `raw` and returns everything the server answers until it closes the connection.
    std::string exchange(const std::string& raw) const {
        boost::asio::io_context ctx;
        tcp::socket s(ctx);
        s.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port()));
        boost::system::error_code ec;
        boost::asio::write(s, boost::asio::buffer(raw), ec);
        std::string out;
        char buf[4096];
        for (;;) {
            const std::size_t n = s.read_some(boost::asio::buffer(buf), ec);
            out.append(buf, n);
            if (ec) break;
        }
        return out;
    }

private:
    boost::asio::io_context io_;
    std::unique_ptr<web::Server> server_;
    std::thread thread_;
};

std::string status_line(const std::string& response) { return response.substr(0, response.find("\r\n")); }

std::string body_of(const std::string& response) {
    const auto at = response.find("\r\n\r\n");
    return at == std::string::npos ? "" : response.substr(at + 4);
}

std::string get(const std::string& target, const std::string& extra_headers = "") {
    return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + extra_headers + "\r\n";
}

}  // namespace

TEST_CASE("web: parse_target keeps plain paths and refuses traversal, encoding and junk", "[web]") {
    auto r = web::parse_target("/api/night.json?sleeper=alex");
    REQUIRE(r);
    CHECK(r->path == "/api/night.json");
    CHECK(r->query == "sleeper=alex");
    CHECK(web::parse_target("/")->path == "/");
    for (const char* bad : {"", "api", "/../etc/passwd", "/a/../b", "/%2e%2e/x", "//etc", "/a\\b", "/a b",
                            "http://evil/", "/a\x01", "/?\x01"}) {
        INFO(bad);
        CHECK_FALSE(web::parse_target(bad));
    }
    CHECK_FALSE(web::parse_target("/" + std::string(web::MAX_TARGET_BYTES, 'a')));
}

TEST_CASE("web: the ingress path is kept only when it is a plain absolute path", "[web]") {
    CHECK(web::safe_ingress_path("/api/hassio_ingress/AbC-12_x/") == "/api/hassio_ingress/AbC-12_x");
    CHECK(web::safe_ingress_path("/api/hassio_ingress/AbC") == "/api/hassio_ingress/AbC");
    for (const char* bad : {"", "api/x", "/a/../b", "/a\"><script>", "javascript:alert(1)", "//evil.example/x",
                            "/a?b", "/a b"}) {
        INFO(bad);
        CHECK(web::safe_ingress_path(bad).empty());
    }
    CHECK(web::safe_ingress_path("/" + std::string(300, 'a')).empty());
}

TEST_CASE("web: query_param finds a key and tells absent from empty", "[web]") {
    CHECK(web::query_param("a=1&sleeper=sam&b", "sleeper") == std::optional<std::string>("sam"));
    CHECK(web::query_param("b", "b") == std::optional<std::string>(""));
    CHECK_FALSE(web::query_param("", "a"));
    CHECK_FALSE(web::query_param("ab=1", "a"));
}

TEST_CASE("web: GET and HEAD are answered with safe headers, other methods are 405", "[web]") {
    std::mutex m;
    web::Request seen;
    Running srv([&](const web::Request& r) {
        std::lock_guard<std::mutex> lock(m);
        seen = r;
        return web::Response{200, "text/html; charset=utf-8", "<p>hello</p>"};
    });
    const std::string ok = srv.exchange(get("/index.html?x=1"));
    CHECK(status_line(ok) == "HTTP/1.1 200 OK");
    CHECK(body_of(ok) == "<p>hello</p>");
    CHECK_THAT(ok, Catch::Contains("Cache-Control: no-store") && Catch::Contains("X-Content-Type-Options: nosniff") &&
                       Catch::Contains("Content-Security-Policy: default-src 'none'") &&
                       Catch::Contains("Content-Length: 12"));
    {
        std::lock_guard<std::mutex> lock(m);
        CHECK(seen.path == "/index.html");
        CHECK(seen.query == "x=1");
        CHECK_FALSE(seen.head);
    }
    const std::string head = srv.exchange("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(status_line(head) == "HTTP/1.1 200 OK");
    CHECK_THAT(head, Catch::Contains("Content-Length: 12"));
    CHECK(body_of(head).empty());
    for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
        INFO(method);
        const std::string r = srv.exchange(std::string(method) + " / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        CHECK(status_line(r) == "HTTP/1.1 405 Method Not Allowed");
        CHECK_THAT(r, Catch::Contains("Allow: GET, HEAD"));
    }
}

TEST_CASE("web: oversized, malformed and traversing requests are refused before the handler", "[web]") {
    std::mutex m;
    int calls = 0;
    Running srv([&](const web::Request&) {
        std::lock_guard<std::mutex> lock(m);
        ++calls;
        return web::Response{};
    });
    CHECK(status_line(srv.exchange(get("/", "X-Junk: " + std::string(20000, 'a') + "\r\n"))) ==
          "HTTP/1.1 431 Request Header Fields Too Large");
    CHECK(status_line(srv.exchange("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'b'))) ==
          "HTTP/1.1 413 Payload Too Large");
    CHECK(status_line(srv.exchange("HELLO THERE\r\n\r\n")) == "HTTP/1.1 400 Bad Request");
    CHECK(status_line(srv.exchange(get("/../../etc/passwd"))) == "HTTP/1.1 400 Bad Request");
    CHECK(status_line(srv.exchange(get("/%2e%2e/etc/passwd"))) == "HTTP/1.1 400 Bad Request");
    std::lock_guard<std::mutex> lock(m);
    CHECK(calls == 0);
}

TEST_CASE("web: X-Ingress-Path reaches the handler checked, and a throwing handler gives 500", "[web]") {
    std::mutex m;
    std::string ingress = "unset";
    Running srv([&](const web::Request& r) -> web::Response {
        if (r.path == "/boom") throw std::runtime_error("no database");
        std::lock_guard<std::mutex> lock(m);
        ingress = r.ingress_path;
        return web::Response{200, "text/plain", "ok"};
    });
    srv.exchange(get("/", "X-Ingress-Path: /api/hassio_ingress/tok3n/\r\n"));
    {
        std::lock_guard<std::mutex> lock(m);
        CHECK(ingress == "/api/hassio_ingress/tok3n");
    }
    srv.exchange(get("/", "X-Ingress-Path: /x\"><script>alert(1)</script>\r\n"));
    {
        std::lock_guard<std::mutex> lock(m);
        CHECK(ingress.empty());
    }
    const std::string r = srv.exchange(get("/boom"));
    CHECK(status_line(r) == "HTTP/1.1 500 Internal Server Error");
    CHECK_THAT(body_of(r), Catch::Contains("no database"));
}

TEST_CASE("web: a port in use or a bad address is a clear error", "[web]") {
    Running first([](const web::Request&) { return web::Response{}; });
    boost::asio::io_context io;
    WebOptions o;
    o.port = first.port();
    try {
        web::Server second(io, o, [](const web::Request&) { return web::Response{}; });
        FAIL("a second server on the same port must not start");
    } catch (const std::runtime_error& e) {
        CHECK_THAT(e.what(), Catch::Contains("127.0.0.1 port " + std::to_string(first.port())) &&
                                 Catch::Contains("cannot listen"));
    }
    o.listen = "localhost";
    CHECK_THROWS_WITH(web::Server(io, o, [](const web::Request&) { return web::Response{}; }),
                      Catch::Contains("'localhost' is not an IP address"));
}

TEST_CASE("web: allow_from entries are addresses or CIDR ranges, everything else is refused by name", "[web]") {
    const auto v4 = web::parse_peer_range("172.30.32.2");
    CHECK(v4.network.to_string() == "172.30.32.2");
    CHECK(v4.prefix_bits == 32);
    CHECK(web::parse_peer_range("10.0.0.0/8").prefix_bits == 8);
    CHECK(web::parse_peer_range("0.0.0.0/0").prefix_bits == 0);
    CHECK(web::parse_peer_range("::1").prefix_bits == 128);
    CHECK(web::parse_peer_range("FD00::/8").prefix_bits == 8);
    CHECK(web::parse_peer_range("::ffff:172.30.32.2").network.is_v6());
    const char* bad[] = {"",           "localhost",      "supervisor",   "172.30.32",    "172.30.32.256",
                         "1.2.3.4/33", "1.2.3.4/",       "1.2.3.4/-1",   "1.2.3.4/ 8",   "1.2.3.4/08x",
                         "::1/129",    "fe80::1%eth0",   "1.2.3.4/8/8",  " 1.2.3.4",     "1.2.3.4\n",
                         "::g",        "1.2.3.4/99999",  "1.2.3.4 "};
    for (const char* b : bad) {
        INFO(b);
        CHECK_THROWS_AS(web::parse_peer_range(b), std::invalid_argument);
    }
    CHECK_THROWS_AS(web::parse_peer_range(std::string("1.2.3.4\0", 8)), std::invalid_argument);  // embedded NUL
    CHECK_THROWS_WITH(web::parse_peer_range("supervisor"),
                      Catch::Contains("web.allow_from entry 'supervisor'") && Catch::Contains("not a host name"));
    CHECK_THROWS_WITH(web::parse_peer_range("1.2.3.4/33"), Catch::Contains("prefix length 33 is over 32"));
    CHECK_THROWS_WITH(web::parse_peer_range("fe80::1%eth0"), Catch::Contains("zone ids"));
    CHECK_THROWS_WITH(web::parse_peer_range(std::string(300, '1')), Catch::Contains("longer than 64"));
    // A control character in an entry never reaches the message (which goes to the log).
    try {
        web::parse_peer_range(std::string("1.2\x1b[31m"));
        FAIL("an escape sequence is not an address");
    } catch (const std::invalid_argument& e) {
        CHECK(std::string(e.what()).find('\x1b') == std::string::npos);
    }
}

TEST_CASE("web: peer_allowed matches addresses, ranges and IPv4-mapped peers", "[web]") {
    using boost::asio::ip::make_address;
    const std::vector<web::PeerRange> addon = {web::parse_peer_range("172.30.32.2"), web::parse_peer_range("127.0.0.1")};
    CHECK(web::peer_allowed(addon, make_address("172.30.32.2")));
    CHECK(web::peer_allowed(addon, make_address("127.0.0.1")));
    CHECK(web::peer_allowed(addon, make_address("::ffff:172.30.32.2")));  // dual-stack listener
    CHECK_FALSE(web::peer_allowed(addon, make_address("172.30.32.3")));
    CHECK_FALSE(web::peer_allowed(addon, make_address("172.30.33.2")));
    CHECK_FALSE(web::peer_allowed(addon, make_address("::1")));
    CHECK_FALSE(web::peer_allowed(addon, make_address("192.168.1.20")));
    const std::vector<web::PeerRange> lan = {web::parse_peer_range("192.168.0.0/16"), web::parse_peer_range("fd00::/8")};
    CHECK(web::peer_allowed(lan, make_address("192.168.255.1")));
    CHECK_FALSE(web::peer_allowed(lan, make_address("192.169.0.1")));
    CHECK(web::peer_allowed(lan, make_address("fd12:3456::1")));
    CHECK_FALSE(web::peer_allowed(lan, make_address("fe80::1")));
    // Host bits under the prefix are ignored: 10.1.2.3/8 is 10.0.0.0/8.
    CHECK(web::peer_allowed({web::parse_peer_range("10.1.2.3/8")}, make_address("10.200.0.1")));
    CHECK(web::peer_allowed({web::parse_peer_range("0.0.0.0/0")}, make_address("8.8.8.8")));
    CHECK(web::peer_allowed({}, make_address("8.8.8.8")));  // no list: every peer
}

TEST_CASE("web: a peer outside allow_from gets 403 before the handler, and one log line a minute", "[web]") {
    std::mutex m;
    int calls = 0;
    std::vector<std::string> lines;
    auto handler = [&](const web::Request&) {
        std::lock_guard<std::mutex> lock(m);
        ++calls;
        return web::Response{200, "text/plain", "ok"};
    };
    {
        Running srv(handler, {"172.30.32.2", "10.0.0.0/8"}, [&](const std::string& l) {
            std::lock_guard<std::mutex> lock(m);
            lines.push_back(l);
        });
        const std::string r = srv.exchange(get("/"));
        CHECK(status_line(r) == "HTTP/1.1 403 Forbidden");
        CHECK(body_of(r) == "forbidden\n");
        CHECK(status_line(srv.exchange("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")) == "HTTP/1.1 403 Forbidden");
        CHECK(status_line(srv.exchange("DELETE / HTTP/1.1\r\nHost: x\r\n\r\n")) == "HTTP/1.1 403 Forbidden");
        // Malformed or oversized requests too: nothing but 403 for a peer outside the list.
        CHECK(status_line(srv.exchange("HELLO THERE\r\n\r\n")) == "HTTP/1.1 403 Forbidden");
        CHECK(status_line(srv.exchange(get("/", "X-Big: " + std::string(web::MAX_HEADER_BYTES, 'a') + "\r\n"))) ==
              "HTTP/1.1 403 Forbidden");
    }
    {
        std::lock_guard<std::mutex> lock(m);
        CHECK(calls == 0);
        REQUIRE(lines.size() == 1);  // five refusals within a minute: one line
        CHECK_THAT(lines[0], Catch::Contains("127.0.0.1") && Catch::Contains("web.allow_from") && Catch::Contains("403"));
    }
    Running open_to_loopback(handler, {"172.30.32.2", "127.0.0.1"});
    CHECK(status_line(open_to_loopback.exchange(get("/"))) == "HTTP/1.1 200 OK");
    boost::asio::io_context io;
    WebOptions o;
    o.port = 0;
    o.allow_from = {"127.0.0.1", "hassio"};
    CHECK_THROWS_WITH(web::Server(io, o, handler), Catch::Contains("web view: web.allow_from entry 'hassio'"));
}
