// Exact restart: a night replayed in two halves over one state directory publishes, byte for byte, the night and events of one go.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <fstream>
#include <sstream>

#include "plugin/time.hpp"
#include "tests/integration/broker.hpp"

using namespace hypnic;
using namespace hypnic::test;

namespace {

std::string read_text(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::vector<std::string> lines_in(const std::string& text) {
    std::vector<std::string> v;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        if (!l.empty()) v.push_back(l);
    return v;
}

/// Payloads published on `topic`, in order.
std::vector<std::string> payloads_on(const std::string& out, const std::string& topic) {
    std::vector<std::string> found;
    for (const auto& l : lines_in(out)) {
        const auto v = boost::json::parse(l).as_object();
        if (v.at("topic").as_string() == topic) found.emplace_back(v.at("payload").as_string());
    }
    return found;
}

double line_ts(const std::string& capture_line) { return boost::json::parse(capture_line).at("ts").to_number<double>(); }

const std::string CONFIG = HYPNIC_TEST_DATA "/sim/hypnic.yaml";
const std::string NIGHT_TOPIC = "hypnic/alex/night";
const std::string EVENT_TOPIC = "hypnic/alex/event";

/// One simulated night with a partner (so movements wait for the bleed check) and its truth.
struct SimNight {
    TempDir dir;
    std::string capture;
    std::vector<std::string> lines;
    boost::json::object night_truth;
    std::vector<boost::json::object> events_truth;
    std::vector<std::string> whole_nights, whole_events;

    SimNight() {
        capture = dir.path() + "/night.jsonl";
        const std::string truth = dir.path() + "/truth.jsonl";
        const auto sim = run_hypnicd({"simulate", "--nights", "1", "--seed", "23", "--hz", "25", "--partner", "--out",
                                      capture, "--truth", truth},
                                     120s);
        REQUIRE(sim.exit_code == 0);
        lines = lines_in(read_text(capture));
        for (const auto& l : lines_in(read_text(truth))) {
            auto o = boost::json::parse(l).as_object();
            if (o.contains("night"))
                night_truth = o;
            else
                events_truth.push_back(o);
        }
        REQUIRE(night_truth.contains("sleep_onset"));
        const std::string out = dir.path() + "/whole.jsonl";
        const auto r = run_hypnicd({"replay", "--config", CONFIG, "--capture", capture, "--out", out}, 180s);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        const std::string text = read_text(out);
        whole_nights = payloads_on(text, NIGHT_TOPIC);
        whole_events = payloads_on(text, EVENT_TOPIC);
        REQUIRE(whole_nights.size() == 1);
        REQUIRE(whole_events.size() > 10);
    }

    /// Index of the first capture line that arrives after `t`.
    std::size_t cut_after(double t) const {
        std::size_t i = 0;
        while (i < lines.size() && line_ts(lines[i]) <= t) ++i;
        return i;
    }

    /// Replays lines [0, cut) with --until at the last of them, then the rest, over one state dir.
    void check_split(std::size_t cut, const std::string& name) const {
        INFO("split " << name << " before capture line " << cut + 1 << " of " << lines.size());
        REQUIRE(cut > 0);
        REQUIRE(cut < lines.size());
        std::string first, second;
        for (std::size_t i = 0; i < lines.size(); ++i) (i < cut ? first : second) += lines[i] + "\n";
        const std::string first_path = dir.write(name + "-1.jsonl", first);
        const std::string second_path = dir.write(name + "-2.jsonl", second);
        const std::string until = format_iso(line_ts(lines[cut - 1]), FixedZone());
        const std::string state = dir.path() + "/state-" + name;
        const std::string out_a = dir.path() + "/" + name + "-a.out", out_b = dir.path() + "/" + name + "-b.out";

        const auto a = run_hypnicd(
            {"replay", "--config", CONFIG, "--capture", first_path, "--state-dir", state, "--until", until, "--out", out_a},
            180s);
        INFO(a.err);
        REQUIRE(a.exit_code == 0);
        const auto b = run_hypnicd({"replay", "--config", CONFIG, "--capture", second_path, "--state-dir", state, "--out", out_b},
                                   180s);
        INFO(b.err);
        REQUIRE(b.exit_code == 0);

        const std::string text_a = read_text(out_a), text_b = read_text(out_b);
        CHECK(payloads_on(text_a, NIGHT_TOPIC).empty());
        const auto nights = payloads_on(text_b, NIGHT_TOPIC);
        REQUIRE(nights.size() == 1);
        // Every field, asleep_h and coverage included, to the last digit.
        CHECK(nights[0] == whole_nights[0]);
        // The movement events of both halves are those of one go, in the same order.
        auto events = payloads_on(text_a, EVENT_TOPIC);
        const auto later = payloads_on(text_b, EVENT_TOPIC);
        events.insert(events.end(), later.begin(), later.end());
        CHECK(events == whole_events);
    }
};

}  // namespace

TEST_CASE("a night stopped and resumed at any point ends with a byte-identical summary and the same events",
          "[replay][restart]") {
    static const SimNight sim;  // simulated and replayed once for all splits
    const double lights_out = sim.night_truth.at("lights_out").to_number<double>();
    const double onset = sim.night_truth.at("sleep_onset").to_number<double>();
    const double wake = sim.night_truth.at("wake").to_number<double>();
    REQUIRE(lights_out < onset);

    SECTION("while settling, between lights-out and sleep onset") {
        sim.check_split(sim.cut_after(lights_out + 0.5 * (onset - lights_out)), "settling");
    }
    SECTION("asleep, in the middle of the night") {
        sim.check_split(sim.cut_after(onset + 0.5 * (wake - onset)), "asleep");
    }
    SECTION("in the middle of a movement (its batch split off the rest)") {
        // The longest movement while asleep: the stop falls inside it, with its envelope, its
        // posture read-out and the partner-bleed hold all in flight.
        const boost::json::object* longest = nullptr;
        for (const auto& e : sim.events_truth) {
            const double start = e.at("start").to_number<double>();
            if (start <= onset || start >= wake) continue;
            if (!longest || e.at("duration_s").to_number<double>() > longest->at("duration_s").to_number<double>()) longest = &e;
        }
        REQUIRE(longest != nullptr);
        const double mid = longest->at("start").to_number<double>() + 0.5 * longest->at("duration_s").to_number<double>();
        sim.check_split(sim.cut_after(mid), "movement");
    }
    SECTION("right after a sleep start (a twitch still waiting for its merge gap)") {
        const boost::json::object* first_twitch = nullptr;
        for (const auto& e : sim.events_truth)
            if (e.at("type").as_string() == "twitch" && e.at("start").to_number<double>() >= lights_out) {
                first_twitch = &e;
                break;
            }
        REQUIRE(first_twitch != nullptr);
        sim.check_split(sim.cut_after(first_twitch->at("start").to_number<double>() + 0.2), "twitch");
    }
}
