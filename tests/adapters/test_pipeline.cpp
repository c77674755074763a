// Tests of the message pipeline: routing, size cap, de-duplication, log topics, rejection counts.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "adapters/json_out.hpp"
#include "adapters/pipeline.hpp"

using namespace hypnic;

namespace {

SensorSpec sensor(SensorKind kind, std::string topic, std::string format, std::string pointer = "") {
    SensorSpec s;
    s.kind = kind;
    s.topic = std::move(topic);
    s.format = std::move(format);
    s.value_pointer = std::move(pointer);
    return s;
}

PluginParams two_sleepers() {
    PluginParams p;
    p.base_topic = "hypnic";
    SleeperParams alex;
    alex.id = "alex";
    alex.sensors = {sensor(SensorKind::accel, "bed/alex/accel", "hypnic"),
                    sensor(SensorKind::presence, "bed/alex/presence", "plain"),
                    sensor(SensorKind::lights, "zigbee2mqtt/bedroom_light", "json"),
                    sensor(SensorKind::activity, "bed/alex/activity", "hypnic")};
    SleeperParams sam;
    sam.id = "sam";
    // The same light topic feeds both sleepers of a shared bedroom.
    sam.sensors = {sensor(SensorKind::presence, "bed/sam/presence", "json", "/occupancy"),
                   sensor(SensorKind::lights, "zigbee2mqtt/bedroom_light", "json")};
    p.sleepers = {alex, sam};
    return p;
}

struct Fixture {
    MqttOptions mqtt;
    FixedZone zone{3600, "CET"};
    MemoryHistory history;
    std::unique_ptr<Pipeline> pipe;
    std::vector<Publication> out;

    explicit Fixture(std::size_t max_payload = 256 * 1024) {
        mqtt.base_topic = "hypnic";
        mqtt.max_payload_bytes = max_payload;
        pipe = std::make_unique<Pipeline>(mqtt, two_sleepers(), zone, history);
    }
    std::optional<Rejection> send(std::string_view topic, std::string_view payload, UnixS t) {
        return pipe->on_message(topic, payload, t, out);
    }
    std::uint64_t count(const std::string& topic, const std::string& reason) const {
        const auto& m = pipe->rejects().by_topic_reason;
        const auto it = m.find({topic, reason});
        return it == m.end() ? 0 : it->second;
    }
};

// A 1-s accel batch at 50 Hz of quiet lying (gravity on z plus small noise); optional burst.
std::string accel_batch(UnixS t0, std::mt19937& rng, double burst_g = 0, int samples = 50) {
    std::normal_distribution<double> noise(0, 0.002);
    JsonWriter w;
    w.begin_object().key("t0").number(t0, 3).key("hz").value(50).key("xyz").begin_array();
    for (int i = 0; i < samples; ++i) {
        const double b = (burst_g > 0 && i >= 20 && i < 30) ? burst_g * ((i % 2) ? 1 : -1) : 0;
        w.begin_array().number(noise(rng) + b, 4).number(noise(rng), 4).number(1 + noise(rng), 4).end_array();
    }
    w.end_array().end_object();
    return w.take();
}

constexpr UnixS T0 = 1764104400;  // 22:00 CET

}  // namespace

TEST_CASE("subscriptions list each sensor topic once, the log and the setting wildcards", "[pipeline]") {
    Fixture f;
    const auto subs = f.pipe->subscriptions();
    const std::vector<std::string> want = {"bed/alex/accel",    "bed/alex/presence", "zigbee2mqtt/bedroom_light",
                                           "bed/alex/activity", "bed/sam/presence",  "hypnic/+/log/+",
                                           "hypnic/+/set/+"};
    CHECK(subs == want);
}

TEST_CASE("messages are routed by exact topic to their sleeper", "[pipeline][routing]") {
    Fixture f;
    CHECK_FALSE(f.send("bed/sam/presence", "{\"occupancy\": true}", T0));
    bool sam_state = false, alex_any = false;
    for (const auto& p : f.out) {
        sam_state = sam_state || p.topic == "hypnic/sam/state";
        alex_any = alex_any || p.topic.rfind("hypnic/alex/", 0) == 0;
    }
    CHECK(sam_state);
    CHECK_FALSE(alex_any);
    for (const auto& p : f.out) {
        CHECK(p.ts == T0);
        CHECK_NOTHROW(boost::json::parse(p.payload));
    }

    // A topic nobody configured, or one that only resembles a configured one, is refused.
    auto r = f.send("bed/alex/presence/extra", "ON", T0 + 1);
    REQUIRE(r);
    CHECK(r->reason == "topic");
    r = f.send("bed/+/presence", "ON", T0 + 1);
    REQUIRE(r);
    CHECK(r->reason == "topic");
    CHECK(f.count("bed/alex/presence/extra", "topic") == 1);

    // Retained state for both sleepers, stamped with the given time.
    std::vector<Publication> ret;
    f.pipe->retained(T0 + 5, ret);
    int states = 0;
    for (const auto& p : ret) {
        CHECK(p.retain);
        CHECK(p.ts == T0 + 5);
        states += p.topic == "hypnic/alex/state" || p.topic == "hypnic/sam/state";
        CHECK(p.topic != "hypnic/status");
    }
    CHECK(states == 2);
}

TEST_CASE("one topic shared by two sleepers feeds both, a decode error is counted", "[pipeline][routing]") {
    Fixture f;
    CHECK_FALSE(f.send("zigbee2mqtt/bedroom_light", "{\"state\":\"ON\",\"brightness\":200}", T0));
    const auto r = f.send("zigbee2mqtt/bedroom_light", "{\"state\":\"ON\",\"brightness\":900}", T0 + 1);
    REQUIRE(r);
    CHECK(r->reason == "range");
    CHECK(r->detail.find("brightness") != std::string::npos);
    // One message is one rejection, however many sensors share its topic.
    CHECK(f.count("zigbee2mqtt/bedroom_light", "range") == 1);
    CHECK(f.pipe->rejects().total == 1);
}

TEST_CASE("payloads over the size cap are refused before parsing", "[pipeline][size]") {
    Fixture f(1000);
    std::mt19937 rng(1);
    const std::string big = accel_batch(T0, rng, 0, 50);
    REQUIRE(big.size() > 1000);
    const auto r = f.send("bed/alex/accel", big, T0 + 1);
    REQUIRE(r);
    CHECK(r->reason == "too_large");
    CHECK(r->detail.find("1000") != std::string::npos);
    CHECK(f.out.empty());
    // Even garbage that would fail to parse is counted as too large, not as bad JSON.
    const auto g = f.send("bed/alex/accel", std::string(1001, '{'), T0 + 1);
    REQUIRE(g);
    CHECK(g->reason == "too_large");
    CHECK(f.count("bed/alex/accel", "too_large") == 2);
    CHECK(f.count("bed/alex/accel", "json") == 0);
    // At the cap exactly it is parsed.
    const auto at = f.send("bed/alex/accel", std::string(1000, '['), T0 + 1);
    REQUIRE(at);
    CHECK(at->reason == "depth");
}

TEST_CASE("re-delivered and overlapping batches are de-duplicated per sensor", "[pipeline][dedupe]") {
    Fixture f;
    std::mt19937 rng(7);
    REQUIRE_FALSE(f.send("bed/alex/presence", "ON", T0));
    const std::string first = accel_batch(T0 + 1, rng);
    REQUIRE_FALSE(f.send("bed/alex/accel", first, T0 + 2));
    // The very same message again (QoS 1 re-delivery).
    auto r = f.send("bed/alex/accel", first, T0 + 2.1);
    REQUIRE(r);
    CHECK(r->reason == "duplicate");
    // An older batch entirely in the past.
    r = f.send("bed/alex/accel", accel_batch(T0 + 0.5, rng, 0, 10), T0 + 2.2);
    REQUIRE(r);
    CHECK(r->reason == "duplicate");
    // Overlapping by half: the new half is taken, nothing is refused.
    CHECK_FALSE(f.send("bed/alex/accel", accel_batch(T0 + 1.5, rng), T0 + 3));
    // The next batch starting exactly one sample after the last is new, despite float rounding.
    CHECK_FALSE(f.send("bed/alex/accel", accel_batch(T0 + 2.5, rng), T0 + 4));
    CHECK(f.count("bed/alex/accel", "duplicate") == 2);
    CHECK(f.pipe->rejects().total == 2);

    // Activity epochs follow the same rule.
    REQUIRE_FALSE(f.send("bed/alex/activity", "{\"t0\": 1764104400, \"epoch_s\": 60, \"counts\": [1, 2]}", T0 + 130));
    r = f.send("bed/alex/activity", "{\"t\": 1764104460, \"epoch_s\": 60, \"count\": 2}", T0 + 131);
    REQUIRE(r);
    CHECK(r->reason == "duplicate");
    CHECK_FALSE(f.send("bed/alex/activity", "{\"t0\": 1764104460, \"epoch_s\": 60, \"counts\": [2, 3]}", T0 + 190));
}

TEST_CASE("a movement re-delivered inside an overlapping batch is detected once", "[pipeline][dedupe]") {
    // Two identical pipelines; the second receives every batch twice and overlapping copies.
    Fixture once, twice;
    std::mt19937 rng(11);
    std::vector<std::pair<UnixS, std::string>> batches;
    for (int s = 0; s < 240; ++s) batches.emplace_back(T0 + 60 + s, accel_batch(T0 + 60 + s, rng, s == 200 ? 0.2 : 0));
    REQUIRE_FALSE(once.send("bed/alex/presence", "ON", T0));
    REQUIRE_FALSE(twice.send("bed/alex/presence", "ON", T0));
    for (const auto& [t, b] : batches) {
        once.send("bed/alex/accel", b, t + 1);
        twice.send("bed/alex/accel", b, t + 1);
        twice.send("bed/alex/accel", b, t + 1.01);
    }
    once.pipe->on_time(T0 + 400, once.out);
    twice.pipe->on_time(T0 + 400, twice.out);
    const auto& e1 = once.history.events("alex");
    const auto& e2 = twice.history.events("alex");
    CHECK(e1.size() == e2.size());
    for (std::size_t i = 0; i < std::min(e1.size(), e2.size()); ++i) {
        CHECK(e1[i].start == e2[i].start);
        CHECK(e1[i].type == e2[i].type);
    }
    CHECK(twice.count("bed/alex/accel", "duplicate") == batches.size());
}

TEST_CASE("log topics become factor logs for the named sleeper", "[pipeline][log]") {
    Fixture f;
    CHECK_FALSE(f.send("hypnic/alex/log/caffeine", "{\"ts\": 1764090000, \"amount\": 80, \"note\": \"flat white\"}", T0));
    CHECK_FALSE(f.send("hypnic/sam/log/stress", "", T0 + 10));
    CHECK_FALSE(f.send("hypnic/alex/log/caffeine", "PRESS", T0 + 20));
    const auto alex = f.history.factors_between("alex", T0 - 86400, T0 + 86400);
    REQUIRE(alex.size() == 2);
    CHECK(alex[0].factor == Factor::caffeine);
    CHECK(alex[0].t == 1764090000);
    CHECK(alex[0].amount == 80);
    CHECK(alex[0].note == "flat white");
    CHECK(alex[0].source == "log");
    CHECK(alex[1].t == T0 + 20);
    CHECK(alex[1].amount == 1);
    const auto sam = f.history.factors_between("sam", T0 - 86400, T0 + 86400);
    REQUIRE(sam.size() == 1);
    CHECK(sam[0].factor == Factor::stress);
    CHECK(sam[0].t == T0 + 10);

    // A re-delivered timestamped log is taken once.
    auto r = f.send("hypnic/alex/log/caffeine", "{\"ts\": 1764090000, \"amount\": 80, \"note\": \"flat white\"}", T0 + 30);
    REQUIRE(r);
    CHECK(r->reason == "duplicate");
    CHECK(f.history.factors_between("alex", T0 - 86400, T0 + 86400).size() == 2);

    r = f.send("hypnic/bob/log/caffeine", "", T0);
    REQUIRE(r);
    CHECK(r->reason == "topic");
    CHECK(r->detail.find("bob") != std::string::npos);
    r = f.send("hypnic/alex/log/alcohol", "", T0);
    REQUIRE(r);
    CHECK(r->reason == "topic");
    CHECK(r->detail.find("alcohol") != std::string::npos);
    r = f.send("hypnic/alex/log/stress", "{\"amount\": 12}", T0);
    REQUIRE(r);
    CHECK(r->reason == "range");
    r = f.send("hypnic/alex/log/caffeine/extra", "", T0);
    REQUIRE(r);
    CHECK(r->reason == "topic");
    r = f.send("other/alex/log/caffeine", "", T0);
    REQUIRE(r);
    CHECK(r->reason == "topic");
}

TEST_CASE("rejections are counted per topic and reason, with a bound on topics", "[pipeline][rejects]") {
    Fixture f;
    f.send("bed/alex/presence", "maybe", T0);
    f.send("bed/alex/presence", "maybe", T0 + 1);
    f.send("bed/alex/accel", "{", T0 + 2);
    f.send("bed/alex/accel", "{\"hz\": 5000, \"xyz\": [[0,0,1]]}", T0 + 3);
    CHECK(f.count("bed/alex/presence", "format") == 2);
    CHECK(f.count("bed/alex/accel", "json") == 1);
    CHECK(f.count("bed/alex/accel", "range") == 1);
    CHECK(f.pipe->rejects().total == 4);
    // A flood of made-up topics cannot grow the counters without bound.
    for (int i = 0; i < 3000; ++i) f.send("spam/" + std::to_string(i), "x", T0 + 4);
    CHECK(f.pipe->rejects().total == 3004);
    CHECK(f.pipe->rejects().by_topic_reason.size() <= 1025);
    CHECK(f.count("(other topics)", "topic") > 0);
}
