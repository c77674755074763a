// Reader plus scorer on the real reference recordings, epoch for epoch against ActiLife's and Actiware's labels.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/actigraphy_csv.hpp"
#include "plugin/score/score.hpp"

using namespace hypnic;
using adapters::ActigraphySeries;

namespace {

const std::string EXTERNAL = std::string(HYPNIC_TEST_DATA) + "/external/";

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// One column of a CSV file, by header name, read with the project's own tokenizer.
std::vector<std::string> column(const std::string& path, const std::string& name) {
    const auto recs = adapters::parse_csv(slurp(path), path);
    REQUIRE(!recs.empty());
    const auto it = std::find(recs[0].fields.begin(), recs[0].fields.end(), name);
    REQUIRE(it != recs[0].fields.end());
    const auto k = static_cast<std::size_t>(it - recs[0].fields.begin());
    std::vector<std::string> out;
    for (std::size_t r = 1; r < recs.size(); ++r) out.push_back(recs[r].fields.at(k));
    return out;
}

/// Epochs where `got` differs from `want` ("S"/"W"); `want` entries outside {S, W} are not compared.
std::size_t mismatches(const std::vector<score::State>& got, const std::vector<std::string>& want,
                       std::size_t& compared) {
    REQUIRE(got.size() == want.size());
    std::size_t bad = 0;
    for (std::size_t i = 0; i < want.size(); ++i) {
        if (want[i] != "S" && want[i] != "W") continue;
        ++compared;
        if (static_cast<char>(got[i]) != want[i][0]) ++bad;
    }
    return bad;
}

}  // namespace

TEST_CASE("60-s GT3X+ day: reader + cole_kripke and sadeh equal ActiLife 6 on every epoch") {
    const std::string path = EXTERNAL + "actigraph-gt3x-day01/GT3XPlus-RawData-Day01-sleep-awake.csv";
    const ActigraphySeries s = adapters::read_actigraphy_csv(path);
    CHECK(s.column == "axis1");
    CHECK(s.epoch_s == 60);
    REQUIRE(s.counts.size() == 1500);
    std::size_t compared = 0;
    CHECK(mismatches(score::cole_kripke(s.counts), column(path, "cole-kripke"), compared) == 0);
    CHECK(mismatches(score::sadeh(s.counts), column(path, "sadeh"), compared) == 0);
    CHECK(compared == 3000);
}

TEST_CASE("10-s GT3X+ day summed to 60-s epochs gives ActiLife's minutes and labels") {
    const ActigraphySeries raw =
        adapters::read_actigraphy_csv(EXTERNAL + "actigraph-gt3x-day01/GT3XPlus-RawData-Day01.csv");
    CHECK(raw.epoch_s == 10);
    REQUIRE(raw.counts.size() == 8999);  // the last minute has only 5 epochs
    const ActigraphySeries minutes = adapters::combine_epochs(raw, 60);
    const std::string ref = EXTERNAL + "actigraph-gt3x-day01/GT3XPlus-RawData-Day01-sleep-awake.csv";
    const auto ref_ts = column(ref, "timestamp");
    const auto ref_axis1 = column(ref, "axis1");
    REQUIRE(minutes.counts.size() == ref_axis1.size());
    std::size_t differing_counts = 0;
    for (std::size_t i = 0; i < ref_axis1.size(); ++i) {
        if (minutes.timestamps[i] != ref_ts[i] || !minutes.counts[i] || *minutes.counts[i] != std::stod(ref_axis1[i]))
            ++differing_counts;
    }
    CHECK(differing_counts == 0);
    std::size_t compared = 0;
    CHECK(mismatches(score::cole_kripke(minutes.counts), column(ref, "cole-kripke"), compared) == 0);
    CHECK(mismatches(score::sadeh(minutes.counts), column(ref, "sadeh"), compared) == 0);
}

TEST_CASE("every Actiware night: reader + oakley(15 s, 40) equal Actiware's classification") {
    std::vector<std::string> nights;
    for (const auto& e : std::filesystem::directory_iterator(EXTERNAL + "actiwatch-nights"))
        if (e.path().extension() == ".csv") nights.push_back(e.path().string());
    std::sort(nights.begin(), nights.end());
    REQUIRE(nights.size() == 18);
    std::size_t compared_total = 0, unlabelled_scored = 0;
    for (const auto& path : nights) {
        INFO(path);
        const ActigraphySeries s = adapters::read_actigraphy_csv(path);
        CHECK(s.column == "Actiwatch activity counts");
        CHECK(s.epoch_s == 15);
        const auto labels = column(path, "Actiware classification");
        REQUIRE(labels.size() == s.counts.size());  // no skipped epochs in these files
        std::vector<std::string> want;
        for (std::size_t i = 0; i < labels.size(); ++i) {
            want.push_back(labels[i] == "0" ? "S" : labels[i] == "1" ? "W" : "");
            // Where Actiware has no count it has no label either, and neither do we.
            if (!s.counts[i]) CHECK(labels[i] == "NA");
            if (s.counts[i] && labels[i] == "NA") ++unlabelled_scored;
        }
        const auto got = score::oakley(s.counts, s.epoch_s, 40);
        for (std::size_t i = 0; i < got.size(); ++i) CHECK((got[i] == score::State::missing) == !s.counts[i]);
        std::size_t compared = 0;
        CHECK(mismatches(got, want, compared) == 0);
        compared_total += compared;
    }
    // Every labelled epoch of the 18 nights was compared; the 123 epochs that have a count but no
    // Actiware label (next to the start/end of the data) cannot be compared (docs/scoring.md).
    CHECK(compared_total == 32756);
    CHECK(unlabelled_scored == 123);
}
