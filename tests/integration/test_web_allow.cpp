// The live web view's peer allow-list in the real daemon: 403 and one log line for others, check-config's errors.
#include <catch2/catch.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <string>

#include "tests/integration/broker.hpp"
#include "tests/integration/test_faults_support.hpp"

using namespace hypnic::test;
using boost::asio::ip::tcp;

namespace {

/// GET `target` from the web view at 127.0.0.1:`port`, the connection made from `from` (any
/// 127.0.0.0/8 address is this machine); the answer's status line.
std::string status_from(const std::string& from, int port, const std::string& target) {
    boost::asio::io_context io;
    tcp::socket s(io);
    s.open(tcp::v4());
    s.bind(tcp::endpoint(boost::asio::ip::make_address(from), 0));
    s.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
    const std::string req = "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
    boost::asio::write(s, boost::asio::buffer(req));
    std::string out;
    boost::system::error_code ec;
    boost::asio::read(s, boost::asio::dynamic_buffer(out), ec);  // until the server closes
    return out.substr(0, out.find("\r\n"));
}

std::size_t occurrences(const std::string& hay, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
    return n;
}

}  // namespace

TEST_CASE("hypnicd run: the web view answers peers outside web.allow_from with 403 and logs them once",
          "[integration][web]") {
    Broker broker;
    TempDir dir;
    const int port = free_loopback_port();
    const std::string cfg = dir.write(
        "hypnic.yaml", fault_config(broker.url(), dir.path()) + "web:\n  enabled: true\n  listen: 127.0.0.1\n  port: " +
                           std::to_string(port) + "\n  allow_from: [\"172.30.32.2\", \"127.0.0.1\"]\n");
    auto daemon = start_hypnicd({"run", "--config", cfg});
    REQUIRE(daemon->wait_for_output("web view on", 10s));
    CHECK(status_from("127.0.0.1", port, "/healthz") == "HTTP/1.1 200 OK");
    CHECK(status_from("127.0.0.3", port, "/healthz") == "HTTP/1.1 403 Forbidden");
    CHECK(status_from("127.0.0.3", port, "/") == "HTTP/1.1 403 Forbidden");
    CHECK(status_from("127.0.0.3", port, "/../etc/passwd") == "HTTP/1.1 403 Forbidden");
    CHECK(status_from("127.0.0.1", port, "/api/night.json") == "HTTP/1.1 200 OK");
    REQUIRE(daemon->wait_for_output("refused 127.0.0.3", 5s));
    const std::string log = daemon->out() + daemon->err();
    CHECK(occurrences(log, "refused 127.0.0.3 (not in web.allow_from), answered 403") == 1);  // rate-limited
    CHECK(occurrences(log, "accepts every peer") == 0);
    CHECK(daemon->running());
}

TEST_CASE("hypnicd run: a web view open to the network without allow_from is warned about", "[integration][web]") {
    Broker broker;
    TempDir dir;
    const std::string cfg = dir.write("hypnic.yaml", fault_config(broker.url(), dir.path()) +
                                                         "web:\n  enabled: true\n  listen: 0.0.0.0\n  port: " +
                                                         std::to_string(free_loopback_port()) + "\n");
    auto daemon = start_hypnicd({"run", "--config", cfg});
    CHECK(daemon->wait_for_output("accepts every peer: set web.allow_from", 10s));
}

TEST_CASE("hypnicd check-config: hostile web.allow_from entries are refused, each with its place and reason",
          "[integration][web]") {
    TempDir dir;
    const std::string cfg = dir.write(
        "hypnic.yaml", fault_config("tcp://127.0.0.1:1", dir.path()) +
                           "web:\n  allow_from: [\"172.30.32.2\", supervisor, \"10.0.0.0/33\", \"fe80::1%eth0\", "
                           "\"::1/\", {a: 1}, \"\", \"1.2.3.4/8/8\", \"fd00::/8\", \"10.0.0.0/x\"]\n");
    const RunResult r = run_hypnicd({"check-config", "--config", cfg});
    CHECK(r.exit_code == 2);
    const std::string all = r.out + r.err;
    INFO(all);
    for (const char* bad : {"web.allow_from[1] 'supervisor' must be an IP address or CIDR range",
                            "web.allow_from[2] '10.0.0.0/33' has a prefix length that is not a number 0..32",
                            "web.allow_from[3] 'fe80::1%eth0' must be an IP address",
                            "web.allow_from[4] '::1/' has a prefix length that is not a number 0..128",
                            "web.allow_from[5] must be an IP address or CIDR range such as 172.30.32.2, got a mapping",
                            "web.allow_from[6] must be an IP address", "web.allow_from[7] '1.2.3.4/8/8'",
                            "web.allow_from[9] '10.0.0.0/x' has a prefix length"})
        CHECK(all.find(bad) != std::string::npos);
    CHECK(all.find("web.allow_from[0]") == std::string::npos);
    CHECK(all.find("web.allow_from[8]") == std::string::npos);
}
