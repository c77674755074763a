// replay end to end through the real binary: simulated night in, publications out, deterministic,
// and a night replayed in two halves over one state directory ends as in one go.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <fstream>
#include <sstream>

#include "plugin/time.hpp"
#include "tests/integration/broker.hpp"

using namespace hypnic;
using namespace hypnic::test;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> v;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        if (!l.empty()) v.push_back(l);
    return v;
}

/// The payload of the last publication on `topic` in a replay output; empty when there is none.
std::string last_payload_on(const std::string& out, const std::string& topic) {
    std::string found;
    for (const auto& l : lines_of(out)) {
        const auto v = boost::json::parse(l).as_object();
        if (v.at("topic").as_string() == topic) found = std::string(v.at("payload").as_string());
    }
    return found;
}

double ts_of(const std::string& capture_line) {
    const auto p = capture_line.find("\"ts\":");
    return std::stod(capture_line.substr(p + 5));
}

const std::string SIM_CONFIG = HYPNIC_TEST_DATA "/sim/hypnic.yaml";

}  // namespace

TEST_CASE("replay of a simulated night publishes events and a night summary, byte for byte the same each time",
          "[replay]") {
    TempDir dir;
    const std::string capture = dir.path() + "/night.jsonl";
    const auto sim = run_hypnicd({"simulate", "--nights", "1", "--seed", "11", "--hz", "25", "--out", capture}, 120s);
    REQUIRE(sim.exit_code == 0);

    const std::string out1 = dir.path() + "/out1.jsonl", out2 = dir.path() + "/out2.jsonl";
    const auto r1 = run_hypnicd({"replay", "--config", SIM_CONFIG, "--capture", capture, "--out", out1}, 120s);
    INFO(r1.err);
    REQUIRE(r1.exit_code == 0);
    const auto r2 = run_hypnicd({"replay", "--config", SIM_CONFIG, "--capture", capture, "--out", out2}, 120s);
    REQUIRE(r2.exit_code == 0);

    const std::string a = read_file(out1), b = read_file(out2);
    REQUIRE_FALSE(a.empty());
    CHECK(a == b);

    int events = 0, nights = 0, states = 0;
    for (const auto& l : lines_of(a)) {
        if (l.find("\"topic\":\"hypnic/alex/event\"") != std::string::npos) {
            ++events;
            CHECK(l.find("\"retain\":false") != std::string::npos);
        }
        if (l.find("\"topic\":\"hypnic/alex/night\"") != std::string::npos) {
            ++nights;
            CHECK(l.find("\"retain\":true") != std::string::npos);
            CHECK(l.find("\\\"night\\\":\\\"2026-11-25\\\"") != std::string::npos);
        }
        if (l.find("\"topic\":\"hypnic/alex/state\"") != std::string::npos) ++states;
    }
    CHECK(events > 10);
    CHECK(nights == 1);
    CHECK(states > 2);
}

TEST_CASE("replay reports a bad capture line with its line number and goes on", "[replay]") {
    TempDir dir;
    const std::string capture = dir.write(
        "bad.jsonl",
        "{\"ts\": 1795644000, \"topic\": \"bed/alex/presence\", \"payload\": \"ON\"}\n"
        "{\"ts\": 1795644001, \"topic\": \"bed/alex/presence\", \"payload\": \n"
        "{\"ts\": 1795644002, \"topic\": \"bed/alex/presence\", \"payload\": \"SIDEWAYS\"}\n");
    const auto r = run_hypnicd({"replay", "--config", SIM_CONFIG, "--capture", capture});
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("bad.jsonl:2:") != std::string::npos);
    CHECK(r.err.find("bed/alex/presence") != std::string::npos);
    CHECK(r.err.find("1 bad line(s), 1 rejected message(s)") != std::string::npos);
}

TEST_CASE("replay refuses an --until that is not an ISO-8601 instant", "[replay]") {
    TempDir dir;
    const std::string capture = dir.write("empty.jsonl", "");
    const auto r = run_hypnicd({"replay", "--config", SIM_CONFIG, "--capture", capture, "--until", "tomorrow"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--until") != std::string::npos);
}

TEST_CASE("a night replayed in two halves over one state directory ends with the same summary", "[replay][restart]") {
    TempDir dir;
    const std::string capture = dir.path() + "/night.jsonl";
    REQUIRE(run_hypnicd({"simulate", "--nights", "1", "--seed", "5", "--hz", "25", "--out", capture}, 120s).exit_code ==
            0);
    const auto all = lines_of(read_file(capture));
    REQUIRE(all.size() > 100);

    // Split in the middle of the night (well after sleep onset, before waking).
    const std::size_t cut = all.size() / 2;
    std::string first, second;
    for (std::size_t i = 0; i < all.size(); ++i) (i < cut ? first : second) += all[i] + "\n";
    const std::string first_path = dir.write("first.jsonl", first);
    const std::string second_path = dir.write("second.jsonl", second);
    const std::string until = format_iso(ts_of(all[cut - 1]), FixedZone());

    const std::string whole_out = dir.path() + "/whole.jsonl";
    REQUIRE(run_hypnicd({"replay", "--config", SIM_CONFIG, "--capture", capture, "--out", whole_out}, 120s)
                .exit_code == 0);

    const std::string state = dir.path() + "/state";
    const std::string out_a = dir.path() + "/a.jsonl", out_b = dir.path() + "/b.jsonl";
    const auto a = run_hypnicd(
        {"replay", "--config", SIM_CONFIG, "--capture", first_path, "--state-dir", state, "--until", until, "--out", out_a},
        120s);
    INFO(a.err);
    REQUIRE(a.exit_code == 0);
    CHECK(last_payload_on(read_file(out_a), "hypnic/alex/night").empty());
    const auto b = run_hypnicd(
        {"replay", "--config", SIM_CONFIG, "--capture", second_path, "--state-dir", state, "--out", out_b}, 120s);
    INFO(b.err);
    REQUIRE(b.exit_code == 0);

    const std::string whole_text = last_payload_on(read_file(whole_out), "hypnic/alex/night");
    const std::string halves_text = last_payload_on(read_file(out_b), "hypnic/alex/night");
    REQUIRE_FALSE(whole_text.empty());
    REQUIRE_FALSE(halves_text.empty());
    auto whole = boost::json::parse(whole_text).as_object();
    auto halves = boost::json::parse(halves_text).as_object();
    // The minute in progress at the stop loses the part of its data that came before the stop
    // (the detector's open epoch is not part of the checkpoint), so coverage and the hours asleep
    // may be short by about a minute; everything counted and every instant must be identical.
    const double hours = whole.at("asleep_h").to_number<double>();
    CHECK(halves.at("asleep_h").to_number<double>() == Approx(hours).margin(2.0 / 60));
    CHECK(halves.at("coverage").to_number<double>() == Approx(whole.at("coverage").to_number<double>()).margin(0.003));
    for (const char* rate : {"twitch_index", "plm_index"})
        CHECK(halves.at(rate).to_number<double>() == Approx(whole.at(rate).to_number<double>()).epsilon(0.01));
    for (const char* k : {"asleep_h", "coverage", "twitch_index", "plm_index"}) {
        whole.erase(k);
        halves.erase(k);
    }
    CHECK(boost::json::serialize(halves) == boost::json::serialize(whole));
}
