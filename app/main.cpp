// hypnicd's command line: subcommands, their flags and exit codes (contract §1).
#include <CLI/CLI.hpp>

#include <iostream>

#include "app/commands.hpp"

namespace {

constexpr const char* DEFAULT_CONFIG = "/etc/hypnic/hypnic.yaml";

}  // namespace

int main(int argc, char** argv) {
    using namespace hypnic::app;
    CLI::App cli{"hypnicd: local sleep-onset twitch tracker and wind-down daemon for MQTT hubs.\n"
                 "A wellness tool, not a medical device.",
                 "hypnicd"};
    cli.set_version_flag("--version", std::string("hypnicd ") + HYPNIC_VERSION);
    cli.require_subcommand(0, 1);

    RunOptions run_top;
    run_top.config = DEFAULT_CONFIG;
    cli.add_option("-c,--config", run_top.config, "configuration file (when no subcommand is given: run)");

    RunOptions run_o;
    auto* run_cmd = cli.add_subcommand("run", "run the daemon: connect, subscribe, detect, advise, schedule, publish");
    run_cmd->add_option("-c,--config", run_o.config, "configuration file")->default_val(DEFAULT_CONFIG);

    CheckConfigOptions check_o;
    auto* check_cmd = cli.add_subcommand("check-config", "validate a configuration file and exit (0 valid, 2 invalid)");
    check_cmd->add_option("-c,--config", check_o.config, "configuration file")->default_val(DEFAULT_CONFIG);

    ReplayOptions replay_o;
    auto* replay_cmd = cli.add_subcommand("replay", "run the pipeline offline on a capture with a virtual clock");
    replay_cmd->add_option("-c,--config", replay_o.config, "configuration file")->required();
    replay_cmd->add_option("--capture", replay_o.capture, "capture file (JSON Lines), '-' for stdin")->required();
    replay_cmd->add_option("--state-dir", replay_o.state_dir, "state directory to start from and keep (default: empty temporary state)");
    replay_cmd->add_option("--out", replay_o.out, "write publications here (default: stdout)");
    replay_cmd->add_option("--until", replay_o.until, "run the virtual clock on to this ISO-8601 instant (default: last timestamp + 12 h)");
    replay_cmd->add_flag("--publish", replay_o.publish, "also send the publications to the configured broker");

    RecordOptions record_o;
    auto* record_cmd = cli.add_subcommand("record", "subscribe to every configured input topic and write a capture");
    record_cmd->add_option("-c,--config", record_o.config, "configuration file")->required();
    record_cmd->add_option("--out", record_o.out, "capture file to write, '-' for stdout")->required();
    record_cmd->add_option("--duration", record_o.duration_s, "stop after this many seconds (default: until SIGINT/SIGTERM)")
        ->check(CLI::NonNegativeNumber);

    SimulateOptions sim_o;
    auto* sim_cmd = cli.add_subcommand("simulate", "write a capture of synthetic, labelled nights");
    sim_cmd->add_option("--nights", sim_o.nights, "number of nights")->check(CLI::Range(1, 3650))->default_val(1);
    sim_cmd->add_option("--seed", sim_o.seed, "random seed")->default_val(1);
    sim_cmd->add_option("--hz", sim_o.hz, "bed sensor sample rate")->check(CLI::Range(1.0, 1000.0))->default_val(50);
    sim_cmd->add_option("--noise", sim_o.noise_g, "sensor noise, g RMS")->check(CLI::Range(0.0, 0.1))->default_val(0.002);
    sim_cmd->add_flag("--partner", sim_o.partner, "a second sleeper's movements bleed into the sensor");
    sim_cmd->add_option("--sleeper", sim_o.sleeper, "sleeper id used in topics")->default_val("alex");
    sim_cmd->add_option("--start", sim_o.start_date, "local date of the first evening (YYYY-MM-DD)")->default_val("2026-11-25");
    sim_cmd->add_option("--timezone", sim_o.timezone, "IANA zone of the simulated home")->default_val("UTC");
    sim_cmd->add_option("--profile", sim_o.profile, "which habit drives twitch-heavy nights: none|caffeine|stress|exercise|plm|mixed|plm_frequent")
        ->default_val("mixed");
    sim_cmd->add_option("--out", sim_o.out, "capture file to write, '-' for stdout")->required();
    sim_cmd->add_option("--truth", sim_o.truth, "write the ground-truth events here (JSON Lines)");

    ScoreOptions score_o;
    auto* score_cmd = cli.add_subcommand("score", "score actigraphy epochs sleep/wake (CSV in, CSV out)");
    score_cmd->add_option("--algorithm", score_o.algorithm, "cole-kripke | sadeh | oakley")
        ->check(CLI::IsMember({"cole-kripke", "sadeh", "oakley"}))
        ->default_val("cole-kripke");
    score_cmd->add_option("--epoch-s", score_o.epoch_s,
                          "epoch length in seconds (default: the smallest step between timestamps); "
                          "cole-kripke and sadeh sum epochs that divide 60 s into 60-s epochs");
    score_cmd->add_option("--column", score_o.column, "count column (default: axis1, count, activity or 'Actiwatch activity counts')");
    score_cmd->add_option("--threshold", score_o.threshold, "oakley wake threshold (default 40, medium)");
    score_cmd->add_option("file", score_o.file, "input CSV")->required();

    ExportOptions export_o;
    auto* export_cmd = cli.add_subcommand("export", "write the stored history (nights, events or factor logs) as CSV or JSON Lines");
    export_cmd->add_option("--state-dir", export_o.state_dir, "state directory holding hypnic.db (default: the config's state_dir)");
    export_cmd->add_option("-c,--config", export_o.config, "configuration file: time zone and state_dir (optional)");
    export_cmd->add_option("--timezone", export_o.timezone, "IANA zone for the times (default: the config's, else UTC)");
    export_cmd->add_option("--sleeper", export_o.sleeper, "only this sleeper (default: every sleeper)");
    export_cmd->add_option("--what", export_o.what, "nights | events | factors")
        ->check(CLI::IsMember({"nights", "events", "factors"}))
        ->default_val("nights");
    export_cmd->add_option("--format", export_o.format, "csv (header row, RFC 4180 quoting) | json (JSON Lines)")
        ->check(CLI::IsMember({"csv", "json"}))
        ->default_val("csv");
    export_cmd->add_option("--time", export_o.time, "iso (ISO-8601 with offset) | unix (Unix seconds)")
        ->check(CLI::IsMember({"iso", "unix"}))
        ->default_val("iso");
    export_cmd->add_option("--out", export_o.out, "write here instead of stdout (replaced only when complete)");

    ReportOptions report_o;
    auto* report_cmd = cli.add_subcommand("report", "draw a night (or the last N) and the 28-night trend as HTML or SVG");
    report_cmd->add_option("-c,--config", report_o.config, "configuration file: sleepers, time zone, state_dir")->required();
    report_cmd->add_option("--state-dir", report_o.state_dir, "state directory holding hypnic.db (default: the config's)");
    report_cmd->add_option("--sleeper", report_o.sleeper, "sleeper id (default: the first configured)");
    auto* report_night = report_cmd->add_option("--night", report_o.night, "the night of this evening (YYYY-MM-DD)");
    report_cmd->add_option("--last", report_o.last, "the last N closed nights")
        ->check(CLI::Range(1, 366))
        ->excludes(report_night);
    report_cmd->add_option("--out", report_o.out, "FILE.html (the whole report) or FILE.svg (the night chart alone)")
        ->required();

    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = cli.exit(e);
        return rc == 0 ? EXIT_OK : EXIT_USAGE;
    }

    if (*check_cmd) return check_config(check_o);
    if (*replay_cmd) return replay(replay_o);
    if (*record_cmd) return record(record_o);
    if (*sim_cmd) return simulate(sim_o);
    if (*score_cmd) return score(score_o);
    if (*export_cmd) return export_history(export_o);
    if (*report_cmd) return report(report_o);
    if (*run_cmd) return run_daemon(run_o);
    return run_daemon(run_top);
}
