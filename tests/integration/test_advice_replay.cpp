// Advice end to end through `hypnicd simulate` and `hypnicd replay`: a single true cause ranks first,
// no cause gives only reassurance and routine, repeated PLM nights give the doctor hint and one night never does.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/broker.hpp"

using namespace hypnic::test;
namespace json = boost::json;

namespace {

const std::string SIM_CONFIG = HYPNIC_TEST_DATA "/sim/hypnic.yaml";

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

/// The nights and advice a replay published, in order: advice[i] followed nights[i].
struct Replayed {
    std::vector<json::object> nights;
    std::vector<json::object> advice;
    std::vector<bool> advice_retained;
};

// Simulates `nights` nights of `profile` at 25 Hz and replays them with `config`.
Replayed simulate_and_replay(const std::string& profile, int nights, int seed, const std::string& config = SIM_CONFIG) {
    TempDir dir;
    const std::string capture = dir.path() + "/nights.jsonl", out = dir.path() + "/out.jsonl";
    const auto sim = run_hypnicd({"simulate", "--nights", std::to_string(nights), "--seed", std::to_string(seed), "--hz",
                                  "25", "--profile", profile, "--out", capture},
                                 300s);
    INFO(sim.err);
    REQUIRE(sim.exit_code == 0);
    const auto rep = run_hypnicd({"replay", "--config", config, "--capture", capture, "--out", out}, 300s);
    INFO(rep.err);
    REQUIRE(rep.exit_code == 0);
    Replayed r;
    std::istringstream in(read_file(out));
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        const json::object pub = json::parse(line).as_object();
        const std::string topic(pub.at("topic").as_string());
        if (topic == "hypnic/alex/night") r.nights.push_back(json::parse(pub.at("payload").as_string()).as_object());
        if (topic == "hypnic/alex/advice") {
            r.advice.push_back(json::parse(pub.at("payload").as_string()).as_object());
            r.advice_retained.push_back(pub.at("retain").as_bool());
        }
    }
    return r;
}

std::vector<std::string> ids_of(const json::object& advice) {
    std::vector<std::string> v;
    for (const auto& item : advice.at("items").as_array()) v.emplace_back(item.as_object().at("id").as_string());
    return v;
}

const json::object* item_of(const json::object& advice, const std::string& id) {
    for (const auto& item : advice.at("items").as_array())
        if (item.as_object().at("id").as_string() == id) return &item.as_object();
    return nullptr;
}

double number(const json::value& v) { return v.is_int64() ? static_cast<double>(v.as_int64()) : v.as_double(); }

// The replay's own nights say how many were heavy with and without `factor` late: the published
// evidence must agree with them.
void check_cause_ranks_first(const Replayed& r, const std::string& cause) {
    REQUIRE(r.advice.size() == r.nights.size());
    REQUIRE(r.nights.size() >= 10);
    for (bool retained : r.advice_retained) CHECK(retained);
    const json::object& last = r.advice.back();
    INFO(json::serialize(last));
    CHECK(last.at("nights").as_int64() == static_cast<std::int64_t>(r.nights.size()));
    const auto ids = ids_of(last);
    REQUIRE(ids.size() >= 3);
    CHECK(ids.front() == cause);
    CHECK(ids[ids.size() - 2] == "routine");
    CHECK(ids.back() == "reassurance");
    const json::object& item = last.at("items").as_array().front().as_object();
    CHECK(item.at("priority").as_int64() == 1);
    CHECK_FALSE(item.at("text").as_string().empty());
    const json::object& ev = item.at("evidence").as_object();
    const double low = number(ev.at("effect_low"));
    CHECK(low > number(ev.at("threshold")));
    CHECK(number(ev.at("effect_high")) >= low);
    CHECK(number(ev.at("heavy_rate_with")) > number(ev.at("heavy_rate_without")));
    CHECK(ev.at("nights_with").as_int64() >= 3);
    CHECK(ev.at("nights_without").as_int64() >= 3);
    CHECK(ev.at("nights_with").as_int64() + ev.at("nights_without").as_int64() ==
          static_cast<std::int64_t>(r.nights.size()));
    // Recount from the published nights: the advice used exactly these.
    std::int64_t heavy_with = 0;
    for (const auto& n : r.nights) {
        const json::object& f = n.at("factors").as_object().at(cause).as_object();
        const bool with = cause == "stress" ? f.at("count").as_int64() > 0 &&
                                                  number(f.at("amount")) / number(f.at("count")) >= 5
                                            : f.at("late").as_bool();
        if (with && n.at("twitch_heavy").as_bool()) ++heavy_with;
    }
    CHECK(ev.at("heavy_with").as_int64() == heavy_with);
    // The other habits were never logged late: nothing to advise about them.
    for (const char* other : {"caffeine", "exercise", "stress"})
        if (cause != other) CHECK(item_of(last, other) == nullptr);
    CHECK(item_of(last, "consult_doctor") == nullptr);
    // Never any habit before min_nights (7) nights.
    for (std::size_t i = 0; i + 1 < 7 && i < r.advice.size(); ++i) CHECK(item_of(r.advice[i], cause) == nullptr);
}

}  // namespace

TEST_CASE("replay: late caffeine as the only cause ranks caffeine first", "[advice][replay]") {
    check_cause_ranks_first(simulate_and_replay("caffeine", 12, 20), "caffeine");
}

TEST_CASE("replay: stressful evenings as the only cause rank stress first, in German when configured",
          "[advice][replay]") {
    TempDir dir;
    const std::string config = dir.write("de.yaml", read_file(SIM_CONFIG) + "language: de\n");
    const Replayed r = simulate_and_replay("stress", 12, 20, config);
    check_cause_ranks_first(r, "stress");
    const std::string text(r.advice.back().at("items").as_array().front().as_object().at("text").as_string());
    CHECK(text.find("Abende") != std::string::npos);
}

TEST_CASE("replay: late exercise as the only cause ranks exercise first", "[advice][replay]") {
    check_cause_ranks_first(simulate_and_replay("exercise", 12, 20), "exercise");
}

TEST_CASE("replay: with no cause there is only reassurance and routine", "[advice][replay]") {
    const Replayed r = simulate_and_replay("none", 10, 7);
    REQUIRE(r.advice.size() == 10);
    for (const auto& a : r.advice) {
        INFO(json::serialize(a));
        CHECK(ids_of(a) == std::vector<std::string>{"routine", "reassurance"});
    }
    const json::object& reassurance = *item_of(r.advice.back(), "reassurance");
    CHECK(reassurance.at("evidence").as_object().at("nights").as_int64() == 10);
    CHECK(reassurance.at("priority").as_int64() == 2);
}

TEST_CASE("replay: repeated PLM nights bring the doctor hint, one such night does not", "[advice][replay]") {
    const Replayed r = simulate_and_replay("plm_frequent", 4, 3);
    REQUIRE(r.advice.size() == r.nights.size());
    REQUIRE(r.nights.size() == 4);
    int qualifying = 0;
    bool hinted = false;
    for (std::size_t i = 0; i < r.nights.size(); ++i) {
        const json::object& n = r.nights[i];
        if (number(n.at("plm_index")) >= 15 && number(n.at("plm_periodicity")) >= 0.5) ++qualifying;
        INFO("night " << i << ": " << json::serialize(n.at("plm_index")) << "/h, periodicity "
                      << json::serialize(n.at("plm_periodicity")) << "; advice " << json::serialize(r.advice[i]));
        const json::object* hint = item_of(r.advice[i], "consult_doctor");
        // The simulated nights carry no twitch-heavy nights, so only the PLM rule can apply.
        CHECK((hint != nullptr) == (qualifying >= 3));
        if (i == 0) CHECK(hint == nullptr);  // never from one night
        if (hint != nullptr) {
            hinted = true;
            CHECK(ids_of(r.advice[i]).front() == "consult_doctor");
            const json::object& ev = hint->at("evidence").as_object();
            CHECK(ev.at("reason").as_string() == "plm");
            CHECK(ev.at("plm_nights").as_int64() == qualifying);
            CHECK(hint->at("text").as_string().find("not a diagnosis") != std::string::npos);
        }
    }
    // The simulated profile is dense enough for the rule to fire on these seeds.
    CHECK(hinted);
}
