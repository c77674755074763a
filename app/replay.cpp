// `hypnicd replay`: the whole pipeline offline on a capture, driven by a virtual clock.
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>

#include "adapters/capture.hpp"
#include "adapters/pipeline.hpp"
#include "adapters/store/sqlite_history.hpp"
#include "adapters/tz.hpp"
#include "app/commands.hpp"
#include "app/common.hpp"
#include "plugin/history.hpp"

namespace hypnic::app {

namespace {

constexpr double DEFAULT_RUN_ON_S = 12 * 3600.0;

/// Stamps publications made at virtual time `now` that carry no time of their own.
void stamp(std::vector<Publication>& pubs, std::size_t from, UnixS now) {
    for (std::size_t i = from; i < pubs.size(); ++i)
        if (pubs[i].ts == 0) pubs[i].ts = now;
}

/// Sends every due clock tick up to and including `t` through the pipeline.
void advance_to(Pipeline& pipe, UnixS t, std::vector<Publication>& out) {
    // Each tick may schedule the next. A wake-up that does not move forward would spin for ever,
    // so the loop only follows strictly increasing wake-ups.
    UnixS last = -std::numeric_limits<double>::infinity();
    for (;;) {
        const UnixS next = pipe.next_wakeup();
        if (!(next <= t) || !(next > last)) break;
        const std::size_t before = out.size();
        pipe.on_time(next, out);
        stamp(out, before, next);
        last = next;
    }
    const std::size_t before = out.size();
    pipe.on_time(t, out);
    stamp(out, before, t);
}

void flush(std::vector<Publication>& pubs, UnixS now, std::ostream& out) {
    stamp(pubs, 0, now);
    for (const auto& p : pubs) write_publication_line(out, p);
    pubs.clear();
}

}  // namespace

int replay(const ReplayOptions& o) {
    auto cfg = load_config_reporting(o.config);
    if (!cfg) return EXIT_USAGE;

    std::unique_ptr<Zone> zone;
    try {
        zone = make_zone(cfg->timezone);
    } catch (const std::exception& e) {
        std::cerr << o.config << ": " << e.what() << '\n';
        return EXIT_USAGE;
    }

    std::optional<UnixS> until;
    if (!o.until.empty()) {
        UnixS t = 0;
        if (!parse_iso(o.until, t)) {
            std::cerr << "hypnicd replay: --until '" << o.until
                      << "' is not an ISO-8601 instant with an offset (e.g. 2026-11-26T09:00:00+01:00)\n";
            return EXIT_USAGE;
        }
        until = t;
    }

    std::ifstream file;
    std::istream* in = &std::cin;
    if (o.capture != "-") {
        file.open(o.capture, std::ios::binary);
        if (!file) {
            std::cerr << o.capture << ": cannot open capture: " << std::strerror(errno) << '\n';
            return EXIT_RUNTIME;
        }
        in = &file;
    }

    std::ofstream out_file;
    std::ostream* out = &std::cout;
    if (!o.out.empty() && o.out != "-") {
        out_file.open(o.out, std::ios::binary | std::ios::trunc);
        if (!out_file) {
            std::cerr << o.out << ": cannot write: " << std::strerror(errno) << '\n';
            return EXIT_RUNTIME;
        }
        out = &out_file;
    }

    // Without --state-dir the replay starts from nothing and keeps nothing; with it, nights,
    // baselines and the checkpoint of an open night carry over from one replay to the next.
    MemoryHistory memory;
    std::unique_ptr<SqliteHistory> stored;
    History* history = &memory;
    if (!o.state_dir.empty()) {
        try {
            stored = std::make_unique<SqliteHistory>(SqliteHistory::default_path(o.state_dir));
        } catch (const std::exception& e) {
            std::cerr << "hypnicd replay: " << e.what() << '\n';
            return EXIT_RUNTIME;
        }
        history = stored.get();
    }

    Pipeline pipe(cfg->mqtt, cfg->plugin, *zone, *history);
    std::vector<Publication> pubs;
    CaptureReader reader(*in, o.capture == "-" ? std::string("<stdin>") : o.capture);
    CaptureLine line;
    std::string error;
    UnixS clock = -std::numeric_limits<double>::infinity();
    std::size_t bad_lines = 0, rejected = 0, out_of_order = 0;
    bool any = false;
    for (;;) {
        const auto st = reader.next(line, error);
        if (st == CaptureReader::Status::end) break;
        if (st == CaptureReader::Status::bad_line) {
            ++bad_lines;
            std::cerr << error << '\n';
            continue;
        }
        if (until && line.ts > *until) break;
        if (line.ts < clock) {
            // Arrival order is what the daemon would have seen; the clock never runs backwards.
            ++out_of_order;
            line.ts = clock;
        }
        if (any) advance_to(pipe, line.ts, pubs);
        any = true;
        clock = line.ts;
        if (auto rej = pipe.on_message(line.topic, line.payload, line.ts, pubs)) {
            ++rejected;
            std::cerr << (o.capture == "-" ? "<stdin>" : o.capture) << ':' << reader.line_number() << ": "
                      << rej->topic << ": rejected (" << rej->reason << "): " << rej->detail << '\n';
        }
        flush(pubs, clock, *out);
    }
    if (any) {
        const UnixS end = until ? *until : clock + DEFAULT_RUN_ON_S;
        advance_to(pipe, end, pubs);
        flush(pubs, end, *out);
        pipe.checkpoint();
    }
    out->flush();
    if (bad_lines || rejected || out_of_order)
        std::cerr << "hypnicd replay: " << bad_lines << " bad line(s), " << rejected << " rejected message(s), "
                  << out_of_order << " out-of-order line(s)\n";
    if (!*out) {
        std::cerr << "hypnicd replay: writing the output failed\n";
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}

}  // namespace hypnic::app
