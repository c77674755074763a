// MqttClient against a real mosquitto: availability, subscriptions, QoS 1, LWT, reconnects, clean stop.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <climits>
#include <cstdlib>
#include <iostream>

#include "adapters/mqtt/client.hpp"
#include "tests/integration/broker.hpp"

using namespace hypnic;
using namespace hypnic::test;

namespace {

/// Runs the io_context on the test thread until `cond` holds; false at the deadline.
bool pump_until(boost::asio::io_context& io, const std::function<bool()>& cond, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!cond()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        io.run_for(20ms);
    }
    return true;
}

void pump_for(boost::asio::io_context& io, std::chrono::milliseconds d) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < until) io.run_for(20ms);
}

MqttOptions options_for(const std::string& url, const std::string& base) {
    MqttOptions o;
    o.url = url;
    o.base_topic = base;
    o.client_id = "hypnic-it-" + base + "-" + std::to_string(::getpid());
    o.keepalive_s = 5;
    o.reconnect_min_s = 1;
    o.reconnect_max_s = 2;
    return o;
}

/// An MqttClient with an io_context and recorded callbacks.
struct Harness {
    boost::asio::io_context io;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{io.get_executor()};
    int connected_calls = 0;
    int lost_calls = 0;
    std::vector<Received> got;
    std::vector<std::string> log_lines;
    std::unique_ptr<MqttClient> client;

    explicit Harness(const MqttOptions& o) {
        MqttHandlers h;
        h.on_connected = [this] { ++connected_calls; };
        h.on_connection_lost = [this](const std::string&) { ++lost_calls; };
        h.on_message = [this](std::string_view t, std::string_view p, bool r) {
            got.push_back({std::string(t), std::string(p), r, 1});
        };
        h.log = [this](MqttLogLevel, const std::string& line) { log_lines.push_back(line); };
        client = std::make_unique<MqttClient>(io, o, std::move(h));
    }
    bool received(const std::string& topic, const std::string& payload) const {
        for (const auto& m : got)
            if (m.topic == topic && m.payload == payload) return true;
        return false;
    }
    std::string all_logs() const {
        std::string s;
        for (const auto& l : log_lines) s += l + "\n";
        return s;
    }
};

std::string self_exe() {
    char buf[PATH_MAX] = {};
    const auto n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

TEST_CASE("mqtt urls: credentials are masked for logs and removed for paho", "[mqtt]") {
    CHECK(MqttClient::mask_url("tcp://user:s3cret@broker:1883") == "tcp://***@broker:1883");
    CHECK(MqttClient::mask_url("mqtts://user@broker") == "mqtts://***@broker");
    CHECK(MqttClient::mask_url("tcp://a:b@c@broker:1883/x") == "tcp://***@broker:1883/x");
    CHECK(MqttClient::mask_url("tcp://broker:1883") == "tcp://broker:1883");
    CHECK(MqttClient::mask_url("ws://broker/mqtt@path") == "ws://broker/mqtt@path");
    CHECK(MqttClient::mask_url("not a url @ all") == "not a url @ all");
    CHECK(MqttClient::mask_url("") == "");
    CHECK(MqttClient::mask_url("tcp://") == "tcp://");

    MqttOptions o;
    o.url = "mqtt://u:p@broker:1883";
    CHECK(MqttClient::paho_url(o) == "tcp://broker:1883");
    o.url = "mqtts://broker:8883";
    CHECK(MqttClient::paho_url(o) == "ssl://broker:8883");
    o.url = "tcp://broker:1883";
    o.tls.enabled = true;
    CHECK(MqttClient::paho_url(o) == "ssl://broker:1883");
    o.url = "ws://broker:9001/mqtt";
    CHECK(MqttClient::paho_url(o) == "wss://broker:9001/mqtt");
    o.url = "MQTT://broker";
    CHECK(MqttClient::paho_url(o) == "ssl://broker");
    o.url = "garbage";
    CHECK(MqttClient::paho_url(o) == "garbage");

    const std::string id = MqttClient::default_client_id();
    CHECK(id.rfind("hypnic-", 0) == 0);
    CHECK(id.size() > 7);
    CHECK(id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == std::string::npos);
}

TEST_CASE("mqtt client refuses an unknown URL scheme without revealing the password", "[mqtt]") {
    boost::asio::io_context io;
    MqttOptions o;
    o.url = "gopher://user:s3cret@broker:70";
    o.password = "s3cret";
    try {
        MqttClient c(io, o, {});
        FAIL("an unknown scheme was accepted");
    } catch (const std::invalid_argument& e) {
        const std::string what = e.what();
        CHECK(what.find("mqtt.url") != std::string::npos);
        CHECK(what.find("s3cret") == std::string::npos);
    }
}

TEST_CASE("mqtt client: online retained / subscribe and receive / QoS 1 publish / oversize drop / clean stop", "[mqtt][broker]") {
    Broker broker;
    auto o = options_for(broker.url(), "itbasic");
    o.max_payload_bytes = 64;
    o.username = "hypnic";
    o.password = "s3cret-pw";
    Harness h(o);
    h.client->subscribe("itsensors/#");
    h.client->start();
    REQUIRE(pump_until(h.io, [&] { return h.connected_calls == 1; }));
    CHECK(h.client->connected());

    // Availability: a new subscriber sees `online` retained.
    TestClient peer(broker.url());
    auto status = peer.retained("itbasic/status");
    REQUIRE(status);
    CHECK(status->payload == "online");

    // Subscribe + receive.
    peer.publish("itsensors/alex/accel", "{\"hz\":50}", 1);
    REQUIRE(pump_until(h.io, [&] { return h.received("itsensors/alex/accel", "{\"hz\":50}"); }));
    CHECK_FALSE(h.got.back().retained);

    // Payloads over max_payload_bytes are dropped before anyone parses them; later ones still arrive.
    peer.publish("itsensors/alex/accel", std::string(100, 'x'), 1);
    peer.publish("itsensors/alex/accel", "small", 1);
    REQUIRE(pump_until(h.io, [&] { return h.received("itsensors/alex/accel", "small"); }));
    CHECK(h.client->stats().dropped_oversize == 1);
    CHECK_FALSE(h.received("itsensors/alex/accel", std::string(100, 'x')));

    // QoS 1 publish, acknowledged by the broker; retain comes from the Publication.
    peer.subscribe("itbasic/#");
    const auto delivered_before = h.client->stats().delivered;
    h.client->publish(Publication{0, "itbasic/alex/event", "{\"type\":\"twitch\"}", false, 1});
    h.client->publish(Publication{0, "itbasic/alex/state", "{\"phase\":\"asleep\"}", true, 1});
    REQUIRE(peer.wait_for("itbasic/alex/event", "{\"type\":\"twitch\"}"));
    auto ev = peer.wait_for("itbasic/alex/event", "{\"type\":\"twitch\"}");
    CHECK(ev->qos == 1);
    REQUIRE(pump_until(h.io, [&] { return h.client->stats().delivered >= delivered_before + 2; }));
    auto state = peer.retained("itbasic/alex/state");
    REQUIRE(state);
    CHECK(state->payload == "{\"phase\":\"asleep\"}");
    CHECK_FALSE(peer.retained("itbasic/alex/event", 300ms));

    // Clean stop: `offline` retained, acknowledged before the client lets go.
    CHECK(h.client->stop());
    CHECK_FALSE(h.client->connected());
    CHECK(h.client->stop());  // idempotent
    status = peer.retained("itbasic/status");
    REQUIRE(status);
    CHECK(status->payload == "offline");

    // Secrets never reach the log.
    CHECK(h.all_logs().find("s3cret") == std::string::npos);
    CHECK(h.all_logs().find("connected to") != std::string::npos);
}

// Not a test on its own: the child process of the LWT test (run by name with the broker in the env).
TEST_CASE("mqtt client child process for the LWT test", "[.][lwt-child]") {
    const char* url = std::getenv("HYPNIC_IT_URL");
    REQUIRE(url);
    auto o = options_for(url, "itlwt");
    Harness h(o);
    h.client->start();
    REQUIRE(pump_until(h.io, [&] { return h.connected_calls == 1; }));
    std::cout << "child connected" << std::endl;
    // Until the parent kills us: never a clean stop, so only the broker's LWT can say `offline`.
    pump_for(h.io, 30s);
}

TEST_CASE("mqtt client: the broker publishes the LWT offline when the process dies", "[mqtt][broker]") {
    Broker broker;
    TestClient watcher(broker.url());
    watcher.subscribe("itlwt/status");
    ChildProcess child({self_exe(), "mqtt client child process for the LWT test"}, {"HYPNIC_IT_URL=" + broker.url()});
    REQUIRE(child.wait_for_output("child connected", 15s));
    REQUIRE(watcher.wait_for("itlwt/status", "online"));
    child.signal(SIGKILL);
    REQUIRE(child.wait(5s));
    // The socket closes with the process; the broker sends the will at once.
    REQUIRE(watcher.wait_for("itlwt/status", "offline", 10s));
    auto status = watcher.retained("itlwt/status");
    REQUIRE(status);
    CHECK(status->payload == "offline");
}

TEST_CASE("mqtt client: reconnects after a broker restart / re-subscribes and flushes its queue", "[mqtt][broker]") {
    Broker broker;
    Harness h(options_for(broker.url(), "itrestart"));
    h.client->subscribe("itsensors/#");
    h.client->start();
    REQUIRE(pump_until(h.io, [&] { return h.connected_calls == 1; }));

    broker.stop();
    REQUIRE(pump_until(h.io, [&] { return !h.client->connected(); }));
    CHECK(h.lost_calls == 1);
    // Published while down: queued, sent after the reconnect.
    h.client->publish(Publication{0, "itrestart/alex/night", "{\"night\":\"2026-11-25\"}", true, 1});
    CHECK(h.client->queued() == 1);

    // The restarted broker keeps no sessions, so receiving again proves the client re-subscribed.
    broker.start();
    REQUIRE(pump_until(h.io, [&] { return h.connected_calls == 2; }, 15s));
    CHECK(h.client->stats().connects == 2);
    CHECK(h.client->queued() == 0);
    TestClient peer(broker.url());
    peer.publish("itsensors/alex/presence", "ON", 1);
    REQUIRE(pump_until(h.io, [&] { return h.received("itsensors/alex/presence", "ON"); }));

    auto status = peer.retained("itrestart/status");
    REQUIRE(status);
    CHECK(status->payload == "online");
    REQUIRE(pump_until(h.io, [&] { return h.client->stats().delivered >= 3; }));
    auto night = peer.retained("itrestart/alex/night");
    REQUIRE(night);
    CHECK(night->payload == "{\"night\":\"2026-11-25\"}");
    CHECK(h.client->stop());
}

TEST_CASE("mqtt client: a broker that is down at start is retried until it comes up", "[mqtt][broker]") {
    Broker broker(false);
    Harness h(options_for(broker.url(), "itlate"));
    h.client->subscribe("itsensors/#");
    h.client->start();
    REQUIRE(pump_until(h.io, [&] { return h.client->stats().connect_failures >= 1; }));
    CHECK_FALSE(h.client->connected());
    CHECK(h.connected_calls == 0);

    broker.start();
    // Backoff is capped at 2 s here, so the next attempt is at most 2 s away.
    REQUIRE(pump_until(h.io, [&] { return h.connected_calls == 1; }, 10s));
    TestClient peer(broker.url());
    peer.publish("itsensors/alex/presence", "OFF", 1);
    REQUIRE(pump_until(h.io, [&] { return h.received("itsensors/alex/presence", "OFF"); }));
    CHECK(h.client->stop());
    CHECK(h.all_logs().find("failed") != std::string::npos);
}

TEST_CASE("mqtt client: the publish queue is bounded while disconnected and keeps the newest", "[mqtt]") {
    boost::asio::io_context io;
    // Port 1 on loopback refuses at once: the client stays disconnected.
    auto o = options_for("tcp://127.0.0.1:1", "itqueue");
    MqttClientSettings st;
    st.queue_limit = 3;
    MqttClient c(io, o, {}, st);
    for (int i = 0; i < 5; ++i) c.publish(Publication{0, "itqueue/x", std::to_string(i), false, 1});
    CHECK(c.queued() == 3);
    CHECK(c.stats().dropped_queue_full == 2);
    CHECK_FALSE(c.stop(100ms));
    // After stop nothing is queued any more.
    c.publish(Publication{0, "itqueue/x", "late", false, 1});
    CHECK(c.queued() == 3);
}
