// `hypnicd export`: the stored history as CSV or JSON Lines, read-only, to stdout or a file.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "adapters/store/export.hpp"
#include "adapters/store/sqlite_history.hpp"
#include "adapters/tz.hpp"
#include "app/commands.hpp"
#include "app/common.hpp"

namespace hypnic::app {

namespace {

bool valid_sleeper_id(const std::string& s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
    return true;
}

}  // namespace

int export_history(const ExportOptions& o) {
    ExportQuery q;
    const auto what = export_what_from_string(o.what);
    const auto format = export_format_from_string(o.format);
    const auto time = export_time_from_string(o.time);
    if (!what || !format || !time) {
        std::cerr << "export: --what must be nights|events|factors, --format csv|json, --time iso|unix\n";
        return EXIT_USAGE;
    }
    q.what = *what;
    q.format = *format;
    q.time = *time;
    if (!o.sleeper.empty() && !valid_sleeper_id(o.sleeper)) {
        std::cerr << "export: --sleeper '" << o.sleeper << "' is not a sleeper id ([a-z0-9_-]+)\n";
        return EXIT_USAGE;
    }
    q.sleeper = o.sleeper;

    std::string state_dir = o.state_dir;
    std::string zone_name = o.timezone;
    bool zone_from_config = false;
    if (!o.config.empty()) {
        const auto cfg = load_config_reporting(o.config);
        if (!cfg) return EXIT_USAGE;
        if (state_dir.empty()) state_dir = cfg->state_dir;
        if (zone_name.empty()) {
            zone_name = cfg->timezone;  // empty there means the system's zone
            zone_from_config = true;
        }
    }
    if (state_dir.empty()) {
        std::cerr << "export: give --state-dir DIR (or --config FILE to use its state_dir)\n";
        return EXIT_USAGE;
    }

    std::unique_ptr<Zone> zone;
    try {
        if (zone_name.empty() && !zone_from_config)
            zone = std::make_unique<FixedZone>(0, "UTC");
        else
            zone = make_zone(zone_name);
    } catch (const std::exception& e) {
        std::cerr << "export: " << e.what() << '\n';
        return EXIT_USAGE;
    }

    try {
        const SqliteHistory history(SqliteHistory::default_path(state_dir), StoreMode::read_only);
        if (o.out.empty() || o.out == "-") {
            write_export(history, q, *zone, std::cout);
            std::cout.flush();
            if (!std::cout) {
                std::cerr << "export: writing to stdout failed\n";
                return EXIT_RUNTIME;
            }
            return EXIT_OK;
        }
        // Written beside the target and renamed at the end, so a failed export never leaves half a file.
        const std::string tmp = o.out + ".tmp-" + std::to_string(::getpid());
        {
            std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
            if (!file) {
                std::cerr << o.out << ": cannot create the export file\n";
                return EXIT_RUNTIME;
            }
            try {
                write_export(history, q, *zone, file);
            } catch (...) {
                file.close();
                std::error_code ignored;
                std::filesystem::remove(tmp, ignored);
                throw;
            }
            file.flush();
            if (!file) {
                file.close();
                std::error_code ec;
                std::filesystem::remove(tmp, ec);
                std::cerr << o.out << ": writing the export failed (disk full?)\n";
                return EXIT_RUNTIME;
            }
        }
        std::error_code ec;
        std::filesystem::rename(tmp, o.out, ec);
        if (ec) {
            std::error_code ignored;
            std::filesystem::remove(tmp, ignored);
            std::cerr << o.out << ": cannot move the finished export into place: " << ec.message() << '\n';
            return EXIT_RUNTIME;
        }
        return EXIT_OK;
    } catch (const StoreError& e) {
        std::cerr << e.what() << '\n';
        return EXIT_RUNTIME;
    }
}

}  // namespace hypnic::app
