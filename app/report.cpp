// `hypnicd report`: one night (or the last N) with the 28-night trend, as a self-contained HTML page or SVG.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "adapters/report/collect.hpp"
#include "adapters/report/report.hpp"
#include "adapters/store/sqlite_history.hpp"
#include "app/commands.hpp"
#include "app/common.hpp"

namespace hypnic::app {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// Writes `text` beside `path` and renames it into place, so a failed write never leaves half a file.
bool write_file(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) {
            std::cerr << path << ": cannot create the report file\n";
            return false;
        }
        f << text;
        f.flush();
        if (!f) {
            f.close();
            std::error_code ignored;
            std::filesystem::remove(tmp, ignored);
            std::cerr << path << ": writing the report failed (disk full?)\n";
            return false;
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::error_code ignored;
        std::filesystem::remove(tmp, ignored);
        std::cerr << path << ": cannot move the finished report into place: " << ec.message() << '\n';
        return false;
    }
    return true;
}

}  // namespace

int report(const ReportOptions& o) {
    const bool svg = ends_with(o.out, ".svg");
    if (!svg && !ends_with(o.out, ".html") && !ends_with(o.out, ".htm")) {
        std::cerr << "report: --out must end in .html (the whole report) or .svg (the night chart alone), got '"
                  << o.out << "'\n";
        return EXIT_USAGE;
    }
    if (o.night.empty() == (o.last <= 0)) {
        std::cerr << "report: give either --night YYYY-MM-DD or --last N\n";
        return EXIT_USAGE;
    }
    LocalDate wanted{};
    if (!o.night.empty() && !parse_date(o.night, wanted)) {
        std::cerr << "report: --night '" << o.night << "' is not a date (YYYY-MM-DD)\n";
        return EXIT_USAGE;
    }
    if (svg && o.last > 1) {
        std::cerr << "report: an .svg holds one night's chart; use --night DATE or --last 1\n";
        return EXIT_USAGE;
    }
    const auto cfg = load_config_reporting(o.config);
    if (!cfg) return EXIT_USAGE;
    if (cfg->plugin.sleepers.empty()) {
        std::cerr << o.config << ": no sleepers configured\n";
        return EXIT_USAGE;
    }
    const SleeperParams* sleeper = &cfg->plugin.sleepers.front();
    if (!o.sleeper.empty()) {
        auto it = std::find_if(cfg->plugin.sleepers.begin(), cfg->plugin.sleepers.end(),
                               [&](const SleeperParams& s) { return s.id == o.sleeper; });
        if (it == cfg->plugin.sleepers.end()) {
            std::cerr << "report: --sleeper '" << o.sleeper << "' is not configured in " << o.config << '\n';
            return EXIT_USAGE;
        }
        sleeper = &*it;
    }
    const auto zone = make_zone_reporting(*cfg, o.config);
    if (!zone) return EXIT_USAGE;
    // --state-dir wins over the configuration, as for replay and export.
    const std::string path = !o.state_dir.empty()     ? SqliteHistory::default_path(o.state_dir)
                             : !cfg->store.path.empty() ? cfg->store.path
                                                        : SqliteHistory::default_path(cfg->state_dir);
    try {
        // Read-only: the advice below is rebuilt through the History interface, which never writes here.
        SqliteHistory history(path, StoreMode::read_only);
        const auto nights = report::all_nights(history, sleeper->id);
        report::ReportData d;
        d.sleeper = sleeper->id;
        d.generated = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
        std::vector<NightSummary> chosen;
        if (!o.night.empty()) {
            auto it = std::find_if(nights.begin(), nights.end(), [&](const NightSummary& n) { return n.night == o.night; });
            if (it == nights.end()) {
                std::cerr << "report: " << path << " has no night " << o.night << " for '" << sleeper->id << "'"
                          << (nights.empty() ? " (no nights at all yet)"
                                             : " (stored: " + nights.front().night + " .. " + nights.back().night + ")")
                          << '\n';
                return EXIT_RUNTIME;
            }
            chosen.push_back(*it);
            // The trend ends at the night shown, so an old night's report shows the weeks before it.
            d.trend.assign(nights.begin(), it + 1);
        } else {
            if (nights.empty()) {
                std::cerr << "report: " << path << " has no closed nights for '" << sleeper->id << "' yet\n";
                return EXIT_RUNTIME;
            }
            const std::size_t n = std::min(nights.size(), static_cast<std::size_t>(o.last));
            chosen.assign(nights.end() - static_cast<std::ptrdiff_t>(n), nights.end());
            d.trend = nights;
        }
        d.advice = report::current_advice(history, *sleeper, cfg->plugin.language, *zone);
        for (const auto& n : chosen) d.nights.push_back(report::closed_night(history, sleeper->id, n, sleeper->night));
        const std::string text = svg ? report::night_svg(d.nights.back(), *zone) + "\n" : report::report_html(d, *zone);
        return write_file(o.out, text) ? EXIT_OK : EXIT_RUNTIME;
    } catch (const StoreError& e) {
        std::cerr << e.what() << '\n';
        return EXIT_RUNTIME;
    }
}

}  // namespace hypnic::app
