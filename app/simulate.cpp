// `hypnicd simulate`: writes a capture of synthetic nights and, with --truth, their ground truth.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <vector>

#include "adapters/capture.hpp"
#include "adapters/sim_encode.hpp"
#include "adapters/tz.hpp"
#include "app/commands.hpp"
#include "plugin/simulate/simulate.hpp"

namespace hypnic::app {

namespace {

// Opens `path` for writing ('-' = stdout); prints why not and returns null on failure.
std::ostream* open_out(const std::string& path, std::ofstream& file, const char* what) {
    if (path == "-") return &std::cout;
    file.open(path, std::ios::out | std::ios::trunc);
    if (!file) {
        std::cerr << "hypnicd: simulate: cannot write " << what << " '" << path << "': " << std::strerror(errno) << "\n";
        return nullptr;
    }
    return &file;
}

}  // namespace

int simulate(const SimulateOptions& o) {
    sim::SimParams p;
    p.nights = o.nights;
    p.seed = o.seed;
    p.hz = o.hz;
    p.noise_g = o.noise_g;
    p.partner = o.partner;
    if (!parse_date(o.start_date, p.start_date)) {
        std::cerr << "hypnicd: simulate: --start '" << o.start_date << "' is not a date (YYYY-MM-DD)\n";
        return EXIT_USAGE;
    }
    const auto profile = sim::profile_from_string(o.profile);
    if (!profile) {
        std::cerr << "hypnicd: simulate: --profile '" << o.profile
                  << "' is unknown (none, caffeine, stress, exercise, plm, mixed, plm_frequent)\n";
        return EXIT_USAGE;
    }
    p.profile = *profile;
    if (o.sleeper.empty() || o.sleeper.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos) {
        std::cerr << "hypnicd: simulate: --sleeper '" << o.sleeper << "' must match [a-z0-9_-]+\n";
        return EXIT_USAGE;
    }
    std::unique_ptr<Zone> zone;
    try {
        zone = make_zone(o.timezone);
    } catch (const std::exception& e) {
        std::cerr << "hypnicd: simulate: --timezone: " << e.what() << "\n";
        return EXIT_USAGE;
    }
    if (!o.truth.empty() && o.truth == o.out && o.out != "-") {
        std::cerr << "hypnicd: simulate: --truth and --out must be different files\n";
        return EXIT_USAGE;
    }

    std::ofstream out_file, truth_file;
    std::ostream* out = open_out(o.out, out_file, "capture");
    if (out == nullptr) return EXIT_RUNTIME;
    std::ostream* truth = nullptr;
    if (!o.truth.empty()) {
        truth = open_out(o.truth, truth_file, "truth");
        if (truth == nullptr) return EXIT_RUNTIME;
    }

    const SimTopics topics = sim_topics(o.sleeper);
    sim::Simulator simulator(p, *zone);
    sim::SimMessage m;
    std::vector<sim::TrueEvent> events;
    std::vector<sim::TrueNight> nights;
    while (simulator.next(m)) {
        if (truth != nullptr) {
            simulator.take_truth(events, nights);
            for (const sim::TrueNight& n : nights) *truth << encode_truth_night(n) << '\n';
            for (const sim::TrueEvent& e : events) *truth << encode_truth_event(e) << '\n';
            events.clear();
            nights.clear();
        }
        write_capture_line(*out, encode_sim_message(m, topics));
        if (!*out) {
            std::cerr << "hypnicd: simulate: writing the capture '" << o.out << "' failed\n";
            return EXIT_RUNTIME;
        }
    }
    out->flush();
    if (truth != nullptr) truth->flush();
    if (!*out || (truth != nullptr && !*truth)) {
        std::cerr << "hypnicd: simulate: writing the output failed\n";
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}

}  // namespace hypnic::app
