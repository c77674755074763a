// `hypnicd score`: reads an actigraphy CSV, scores each epoch sleep/wake, writes timestamp,count,state.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>

#include "adapters/actigraphy_csv.hpp"
#include "app/commands.hpp"
#include "plugin/score/score.hpp"

namespace hypnic::app {
namespace {

constexpr double SCORING_EPOCH_S = 60;  // Cole-Kripke and Sadeh are defined on 1-min epochs

int usage_error(const std::string& message) {
    std::cerr << "hypnicd: score: " << message << '\n';
    return EXIT_USAGE;
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + '"';
}

std::string format_count(double v) {
    // Whole counts print as integers (ActiLife and Actiware counts are whole); others as the
    // shortest text that reads back to the same double.
    if (v == std::floor(v) && v < 1e15) return std::to_string(static_cast<long long>(v));
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc{} ? std::string(buf, end) : std::to_string(v);
}

std::string seconds(double s) { return format_count(s) + "-s"; }

int score_checked(const ScoreOptions& o) {
    if (o.threshold && o.algorithm != "oakley")
        return usage_error("--threshold applies to --algorithm oakley only (Cole-Kripke and Sadeh have fixed cut-offs)");
    const double threshold = o.threshold.value_or(40.0);
    if (!std::isfinite(threshold) || threshold <= 0)
        return usage_error("--threshold must be a number > 0 (Actiware: 20 low, 40 medium, 80 high), got " +
                           format_count(threshold));

    adapters::ActigraphySeries series;
    try {
        series = adapters::read_actigraphy_csv(o.file, adapters::ActigraphyCsvOptions{o.column, o.epoch_s});
    } catch (const adapters::CsvError& e) {
        return usage_error(e.what());
    }

    std::vector<score::State> states;
    if (o.algorithm == "cole-kripke" || o.algorithm == "sadeh") {
        if (series.epoch_s != SCORING_EPOCH_S) {
            // Shorter epochs that divide a minute are summed as ActiLife's 60-s export does (blocks
            // from the first epoch); anything else would change what the counts mean: refuse.
            const double input_epoch_s = series.epoch_s;
            try {
                series = adapters::combine_epochs(series, SCORING_EPOCH_S);
            } catch (const std::invalid_argument&) {
                return usage_error(o.file + ": " + o.algorithm + " needs 60-s epochs; " + seconds(input_epoch_s) +
                                   " epochs cannot be summed into 60-s epochs (give a file with 60-s epochs, or "
                                   "epochs that divide 60 s)");
            }
            std::cerr << "hypnicd: score: " << o.file << ": summed " << seconds(input_epoch_s)
                      << " epochs into 60-s epochs for " << o.algorithm << '\n';
        }
        states = o.algorithm == "sadeh" ? score::sadeh(series.counts) : score::cole_kripke(series.counts);
    } else {
        if (score::oakley_weights(series.epoch_s).empty())
            return usage_error(o.file + ": oakley is defined for 15-, 30-, 60- and 120-s epochs, not " +
                               seconds(series.epoch_s));
        states = score::oakley(series.counts, series.epoch_s, threshold);
    }

    std::string out = "timestamp,count,state\n";
    out.reserve(series.counts.size() * 32);
    for (std::size_t i = 0; i < series.counts.size(); ++i) {
        out += csv_field(series.timestamps[i]);
        out += ',';
        if (series.counts[i]) out += format_count(*series.counts[i]);
        out += ',';
        if (states[i] != score::State::missing) out += static_cast<char>(states[i]);
        out += '\n';
    }
    std::cout << out << std::flush;
    if (!std::cout) {
        std::cerr << "hypnicd: score: cannot write the result to standard output\n";
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}

}  // namespace

int score(const ScoreOptions& o) {
    try {
        return score_checked(o);
    } catch (const std::exception& e) {
        // Input problems are reported above with their place; what reaches here is unexpected
        // (e.g. out of memory on an enormous file): report it rather than abort.
        std::cerr << "hypnicd: score: " << e.what() << '\n';
        return EXIT_RUNTIME;
    }
}

}  // namespace hypnic::app
