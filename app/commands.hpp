// The subcommands of hypnicd; each returns the process exit code (0 ok, 1 runtime, 2 usage/config).
#pragma once

#include <optional>
#include <string>

namespace hypnic::app {

inline constexpr int EXIT_OK = 0;
inline constexpr int EXIT_RUNTIME = 1;
inline constexpr int EXIT_USAGE = 2;

struct RunOptions {
    std::string config = "/etc/hypnic/hypnic.yaml";
};
int run_daemon(const RunOptions& o);

struct CheckConfigOptions {
    std::string config = "/etc/hypnic/hypnic.yaml";
};
int check_config(const CheckConfigOptions& o);

struct ReplayOptions {
    std::string config;
    std::string capture;
    std::string state_dir;  ///< empty: fresh temporary state
    std::string out;        ///< empty: stdout
    std::string until;      ///< ISO-8601; empty: last ts + 12 h
    bool publish = false;
};
int replay(const ReplayOptions& o);

struct RecordOptions {
    std::string config;
    std::string out;
    double duration_s = 0;  ///< 0: until SIGINT/SIGTERM
};
int record(const RecordOptions& o);

struct SimulateOptions {
    int nights = 1;
    unsigned long long seed = 1;
    double hz = 50;
    double noise_g = 0.002;
    bool partner = false;
    std::string sleeper = "alex";
    std::string start_date = "2026-11-25";  ///< local date of the first evening
    std::string timezone = "UTC";
    std::string out;
    std::string truth;
    std::string profile = "mixed";  ///< which evening habits drive heavy nights
};
int simulate(const SimulateOptions& o);

struct ScoreOptions {
    std::string algorithm = "cole-kripke";
    std::optional<double> epoch_s;
    std::string column;
    std::optional<double> threshold;
    std::string file;
};
int score(const ScoreOptions& o);

struct ExportOptions {
    std::string state_dir;     ///< holds hypnic.db; empty: the state_dir of --config
    std::string config;        ///< optional: the zone and state_dir come from here
    std::string timezone;      ///< IANA name; overrides the config's; default (no config) UTC
    std::string sleeper;       ///< empty: every sleeper
    std::string what = "nights";   ///< nights | events | factors
    std::string format = "csv";    ///< csv | json (JSON Lines)
    std::string time = "iso";      ///< iso (ISO-8601 with the zone's offset) | unix (seconds)
    std::string out;           ///< empty or "-": stdout
};
int export_history(const ExportOptions& o);

struct ReportOptions {
    std::string config;        ///< required: sleepers, zone, state_dir
    std::string state_dir;     ///< holds hypnic.db; empty: the config's store.path / state_dir
    std::string sleeper;       ///< empty: the first configured sleeper
    std::string night;         ///< YYYY-MM-DD; exclusive with `last`
    int last = 0;              ///< the last N closed nights; exclusive with `night`
    std::string out;           ///< FILE.html (whole report) or FILE.svg (the night chart alone)
};
int report(const ReportOptions& o);


}  // namespace hypnic::app
