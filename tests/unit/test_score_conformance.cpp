// The scorers against ActiLife 6's own Sadeh/Cole-Kripke labels and Tudor-Locke periods (GT3X+ day).
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "plugin/score/score.hpp"

using namespace hypnic::score;

namespace {

const std::string DAY = std::string(HYPNIC_TEST_DATA) + "/external/actigraph-gt3x-day01/";

/// These reference files are plain comma-separated text without quoting; split them directly so that
/// this suite depends on the pure core only.
std::vector<std::vector<std::string>> read_rows(const std::string& path) {
    std::ifstream in(path);
    REQUIRE(in.good());
    std::vector<std::vector<std::string>> rows;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        std::vector<std::string> fields;
        std::stringstream ss(line);
        std::string f;
        while (std::getline(ss, f, ',')) fields.push_back(f);
        rows.push_back(fields);
    }
    return rows;
}

struct LabelledDay {
    std::vector<std::string> timestamps;
    Counts axis1;
    std::vector<char> sadeh, cole_kripke;
};

LabelledDay labelled_day() {
    const auto rows = read_rows(DAY + "GT3XPlus-RawData-Day01-sleep-awake.csv");
    REQUIRE(rows.size() > 1);
    REQUIRE(rows[0] == std::vector<std::string>{"timestamp", "axis1", "axis2", "axis3", "sadeh", "cole-kripke"});
    LabelledDay d;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        d.timestamps.push_back(rows[i][0]);
        d.axis1.push_back(std::stod(rows[i][1]));
        d.sadeh.push_back(rows[i][4].at(0));
        d.cole_kripke.push_back(rows[i][5].at(0));
    }
    return d;
}

std::vector<std::size_t> mismatches(const std::vector<State>& got, const std::vector<char>& want) {
    std::vector<std::size_t> bad;
    for (std::size_t i = 0; i < want.size(); ++i)
        if (static_cast<char>(got.at(i)) != want[i]) bad.push_back(i);
    return bad;
}

}  // namespace

TEST_CASE("cole_kripke reproduces ActiLife 6 on every epoch of the GT3X+ day") {
    const LabelledDay d = labelled_day();
    REQUIRE(d.axis1.size() == 1500);
    const auto got = cole_kripke(d.axis1);
    CHECK(mismatches(got, d.cole_kripke).empty());
}

TEST_CASE("sadeh reproduces ActiLife 6 on every epoch of the GT3X+ day") {
    const LabelledDay d = labelled_day();
    const auto got = sadeh(d.axis1);
    CHECK(mismatches(got, d.sadeh).empty());
    // Both labels are really exercised: the day has plenty of each.
    const auto sleeps = std::count(d.sadeh.begin(), d.sadeh.end(), 'S');
    CHECK(sleeps > 300);
    CHECK(sleeps < 1200);
}

TEST_CASE("tudor_locke reproduces ActiLife 6's periods and figures for all three parameter sets") {
    const LabelledDay d = labelled_day();
    std::vector<State> states;
    for (char c : d.sadeh) states.push_back(c == 'S' ? State::sleep : State::wake);
    const auto ref = read_rows(DAY + "GT3XPlus-RawData-Day01-sleep-periods.csv");
    REQUIRE(ref.size() == 11);
    std::map<std::string, std::size_t> col;
    for (std::size_t k = 0; k < ref[0].size(); ++k) col[ref[0][k]] = k;
    auto index_of = [&](const std::string& ts) {
        const auto it = std::find(d.timestamps.begin(), d.timestamps.end(), ts);
        REQUIRE(it != d.timestamps.end());
        return static_cast<std::size_t>(it - d.timestamps.begin());
    };

    // Group ActiLife's rows by parameter set, then compare the whole list of periods per set.
    std::map<std::string, std::vector<std::vector<std::string>>> by_set;
    for (std::size_t r = 1; r < ref.size(); ++r) by_set[ref[r][col.at("period_algorithm")]].push_back(ref[r]);
    REQUIRE(by_set.size() == 3);
    for (const auto& [set, rows] : by_set) {
        INFO("parameter set " << set);
        const auto& first = rows.front();
        TudorLockeParams p;
        p.onset_sleep_epochs = std::stoi(first[col.at("n_bedtime_start")]);
        p.wake_epochs = std::stoi(first[col.at("n_wake_time_end")]);
        p.min_period_epochs = std::stoi(first[col.at("min_sleep_period")]);
        p.max_period_epochs = std::stoi(first[col.at("max_sleep_period")]);
        p.min_nonzero_epochs = std::stoi(first[col.at("min_nonzero_epochs")]);
        const auto got = tudor_locke(states, d.axis1, p);
        REQUIRE(got.size() == rows.size());
        for (std::size_t k = 0; k < rows.size(); ++k) {
            const auto& r = rows[k];
            INFO("period starting " << r[col.at("in_bed_time")]);
            CHECK(got[k].onset == index_of(r[col.at("in_bed_time")]));
            CHECK(got[k].end == index_of(r[col.at("out_bed_time")]));
            const SleepPeriodSummary s = summarize(states, d.axis1, got[k]);
            CHECK(s.duration_epochs == std::stoul(r[col.at("duration")]));
            CHECK(s.sleep_epochs == std::stoul(r[col.at("total_sleep_time")]));
            CHECK(s.wake_epochs == std::stoul(r[col.at("wake_after_onset")]));
            CHECK(s.awakenings == std::stoul(r[col.at("nb_awakenings")]));
            CHECK(s.average_awakening_epochs == Approx(std::stod(r[col.at("ave_awakening")])).margin(0.005));
            CHECK(s.efficiency_pct == Approx(std::stod(r[col.at("efficiency")])).margin(0.005));
            CHECK(s.total_counts == Approx(std::stod(r[col.at("total_counts")])));
            CHECK(s.movement_index_pct == Approx(std::stod(r[col.at("movement_index")])).margin(0.0005));
            CHECK(s.fragmentation_index_pct == Approx(std::stod(r[col.at("fragmentation_index")])).margin(0.0005));
            CHECK(s.sleep_fragmentation_index_pct ==
                  Approx(std::stod(r[col.at("sleep_fragmentation_index")])).margin(0.001));
        }
    }
}
