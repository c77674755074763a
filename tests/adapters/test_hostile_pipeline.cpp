// Hostile sequences through the pipeline (duplicates, out-of-order batches, clock jumps, floods) and
// the `<base>/diagnostics` payload built from its counters.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "adapters/pipeline.hpp"

using namespace hypnic;

namespace {

constexpr UnixS T0 = 1764104523;

struct Bed {
    MqttOptions mqtt;
    FixedZone zone{0, "UTC"};
    MemoryHistory history;
    std::unique_ptr<Pipeline> pipe;
    std::vector<Publication> out;

    Bed() {
        mqtt.base_topic = "hypnic";
        mqtt.max_payload_bytes = 4096;
        PluginParams p;
        p.base_topic = "hypnic";
        SleeperParams alex;
        alex.id = "alex";
        SensorSpec accel;
        accel.kind = SensorKind::accel;
        accel.topic = "bed/alex/accel";
        SensorSpec presence;
        presence.kind = SensorKind::presence;
        presence.topic = "bed/alex/presence";
        presence.format = "plain";
        alex.sensors = {accel, presence};
        p.sleepers = {alex};
        pipe = std::make_unique<Pipeline>(mqtt, p, zone, history);
    }
    std::optional<Rejection> send(std::string_view topic, const std::string& payload, UnixS arrival) {
        return pipe->on_message(topic, payload, arrival, out);
    }
    /// A 1-s, 10 Hz batch of a still sensor starting at t0.
    std::optional<Rejection> batch(double t0, UnixS arrival) {
        std::string p = "{\"t0\":" + std::to_string(t0) + ",\"hz\":10,\"xyz\":[";
        for (int i = 0; i < 10; ++i) p += i ? ",[0,0,1]" : "[0,0,1]";
        return send("bed/alex/accel", p + "]}", arrival);
    }
    std::uint64_t count(const std::string& reason) const {
        const auto& m = pipe->rejects().by_topic_reason;
        const auto it = m.find({"bed/alex/accel", reason});
        return it == m.end() ? 0 : it->second;
    }
};

}  // namespace

TEST_CASE("re-delivered, out-of-order and clock-jumped batches are refused and counted", "[hostile][pipeline]") {
    Bed bed;
    REQUIRE_FALSE(bed.send("bed/alex/presence", "ON", T0));
    for (int i = 0; i < 5; ++i) REQUIRE_FALSE(bed.batch(T0 + i, T0 + i + 1));

    // QoS 1 re-delivery of the same batch: refused as a duplicate, nothing fed twice.
    auto r = bed.batch(T0 + 4, T0 + 6);
    REQUIRE(r);
    CHECK(r->reason == "duplicate");
    // An older batch arriving late (out of order) lies entirely before what was processed.
    r = bed.batch(T0 + 1, T0 + 6);
    REQUIRE(r);
    CHECK(r->reason == "duplicate");
    CHECK(bed.count("duplicate") == 2);

    // The sensor's clock jumps a week ahead: refused by range, and the stream carries on from
    // where it was, so one bad clock reading cannot swallow the rest of the night.
    r = bed.batch(T0 + 7 * 86400.0, T0 + 7);
    REQUIRE(r);
    CHECK(r->reason == "range");
    CHECK_FALSE(bed.batch(T0 + 5, T0 + 7));
    // A jump backwards by a year and a day.
    r = bed.batch(T0 - 367 * 86400.0, T0 + 8);
    REQUIRE(r);
    CHECK(r->reason == "range");
    CHECK(bed.count("range") == 2);

    // Oversized before any parsing, and NaN smuggled in as text.
    r = bed.send("bed/alex/accel", std::string(5000, '['), T0 + 9);
    REQUIRE(r);
    CHECK(r->reason == "too_large");
    r = bed.send("bed/alex/accel", "{\"t0\":1764104530,\"hz\":10,\"xyz\":[[NaN,0,1]]}", T0 + 9);
    REQUIRE(r);
    CHECK(r->reason == "json");
    CHECK(bed.pipe->rejects().total == 6);
}

TEST_CASE("a flood of made-up topics keeps the rejection counters bounded", "[hostile][pipeline]") {
    Bed bed;
    for (int i = 0; i < 5000; ++i) bed.send("spam/" + std::to_string(i), "x", T0 + i * 0.001);
    CHECK(bed.pipe->rejects().total == 5000);
    CHECK(bed.pipe->rejects().by_topic_reason.size() <= 1025);
}

TEST_CASE("the diagnostics payload reports rejects per sensor topic and reason with the traffic counters",
          "[hostile][diagnostics]") {
    Bed bed;
    bed.send("bed/alex/accel", "{", T0);
    bed.send("bed/alex/accel", "{\"t0\":1764104523,\"hz\":0,\"xyz\":[[0,0,1]]}", T0);
    bed.send("bed/alex/accel", "{\"t0\":1764104523,\"hz\":0,\"xyz\":[[0,0,1]]}", T0);
    bed.send("bed/alex/presence", "maybe", T0);
    bed.send("bed/\"quoted\"", "x", T0);

    DaemonCounters c;
    c.uptime_s = 42.4;
    c.messages_in = 10;
    c.messages_out = 7;
    c.connects = 3;
    c.connections_lost = 2;
    c.dropped_oversize = 1;
    const std::string text = diagnostics_payload(c, bed.pipe->rejects(), T0 + 0.25);
    INFO(text);
    const auto doc = boost::json::parse(text).as_object();
    CHECK(doc.at("ts").to_number<double>() == Approx(T0 + 0.25));
    CHECK(doc.at("uptime_s").to_number<double>() == 42);
    CHECK(doc.at("messages_in").to_number<int>() == 10);
    CHECK(doc.at("messages_out").to_number<int>() == 7);
    CHECK(doc.at("reconnects").to_number<int>() == 2);
    CHECK(doc.at("connections_lost").to_number<int>() == 2);
    CHECK(doc.at("dropped_oversize").to_number<int>() == 1);
    CHECK(doc.at("rejected_total").to_number<int>() == 5);
    const auto& rej = doc.at("rejects").as_object();
    CHECK(rej.at("bed/alex/accel").at("json").to_number<int>() == 1);
    CHECK(rej.at("bed/alex/accel").at("range").to_number<int>() == 2);
    CHECK(rej.at("bed/alex/presence").at("format").to_number<int>() == 1);
    // A hostile topic name is escaped, never breaks the JSON.
    CHECK(rej.at("bed/\"quoted\"").at("topic").to_number<int>() == 1);

    // Before the first connection there are no reconnects to report, and nothing rejected is an empty object.
    Bed quiet;
    const auto empty = boost::json::parse(diagnostics_payload(DaemonCounters{}, quiet.pipe->rejects(), T0)).as_object();
    CHECK(empty.at("reconnects").to_number<int>() == 0);
    CHECK(empty.at("rejects").as_object().empty());
}
