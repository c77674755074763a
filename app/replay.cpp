// `hypnicd replay`: the whole pipeline offline on a capture, driven by a virtual clock.
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <unistd.h>

#include <chrono>

#include "adapters/capture.hpp"
#include "adapters/mqtt/client.hpp"
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

/// `--publish`: sends the replay's publications to the configured broker with a client of its own.
class Publisher {
public:
    explicit Publisher(const MqttOptions& configured) {
        MqttOptions mqtt = configured;
        // Its own id and a clean session, so that a running daemon's session stays untouched; no
        // availability messages, because replay does not speak for the daemon.
        if (mqtt.client_id.empty()) mqtt.client_id = MqttClient::default_client_id();
        mqtt.client_id += "-replay-" + std::to_string(::getpid());
        mqtt.clean_session = true;
        MqttHandlers h;
        h.log = [](MqttLogLevel l, const std::string& line) {
            if (l == MqttLogLevel::warn || l == MqttLogLevel::error) std::cerr << "hypnicd replay: mqtt: " << line << '\n';
        };
        MqttClientSettings settings;
        settings.availability = false;
        settings.queue_limit = 1'000'000;
        client_ = std::make_unique<MqttClient>(io_, mqtt, std::move(h), settings);
    }

    /// Waits for the first connection; false after `timeout`.
    bool connect(std::chrono::milliseconds timeout) {
        client_->start();
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!client_->connected() && std::chrono::steady_clock::now() < deadline)
            io_.run_one_for(std::chrono::milliseconds(50));
        return client_->connected();
    }

    void publish(const Publication& p) {
        client_->publish(p);
        io_.poll();
    }

    /// Waits until everything handed over was acknowledged (or `timeout`), then disconnects.
    bool finish(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while ((client_->queued() > 0 || client_->stats().delivered < client_->stats().published) &&
               std::chrono::steady_clock::now() < deadline)
            io_.run_one_for(std::chrono::milliseconds(50));
        const bool all = client_->queued() == 0 && client_->stats().delivered >= client_->stats().published;
        client_->stop(std::chrono::seconds(2));
        return all;
    }

private:
    boost::asio::io_context io_;
    // paho's callbacks arrive from its own threads at any time: keep the context from running dry
    // (and stopping) between them.
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{io_.get_executor()};
    std::unique_ptr<MqttClient> client_;
};

void flush(std::vector<Publication>& pubs, UnixS now, std::ostream& out, Publisher* publisher) {
    stamp(pubs, 0, now);
    for (const auto& p : pubs) {
        write_publication_line(out, p);
        if (publisher) publisher->publish(p);
    }
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

    std::unique_ptr<Publisher> publisher;
    if (o.publish) {
        try {
            publisher = std::make_unique<Publisher>(cfg->mqtt);
        } catch (const std::exception& e) {
            std::cerr << o.config << ": " << e.what() << '\n';
            return EXIT_USAGE;
        }
        if (!publisher->connect(std::chrono::seconds(15))) {
            std::cerr << "hypnicd replay: --publish: cannot reach the broker at "
                      << MqttClient::mask_url(cfg->mqtt.url) << " within 15 s\n";
            return EXIT_RUNTIME;
        }
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
        flush(pubs, clock, *out, publisher.get());
    }
    if (any) {
        const UnixS end = until ? *until : clock + DEFAULT_RUN_ON_S;
        advance_to(pipe, end, pubs);
        flush(pubs, end, *out, publisher.get());
        pipe.checkpoint();
    }
    out->flush();
    if (publisher && !publisher->finish(std::chrono::seconds(30))) {
        std::cerr << "hypnicd replay: --publish: not every publication was acknowledged by the broker\n";
        return EXIT_RUNTIME;
    }
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
