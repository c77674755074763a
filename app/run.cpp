// `hypnicd run`: the live daemon — MQTT in, pipeline on one io_context, publications out, signals.
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <random>

#include "adapters/homeassistant/discovery.hpp"
#include "adapters/journal.hpp"
#include "adapters/mqtt/client.hpp"
#include "adapters/pipeline.hpp"
#include "adapters/store/sqlite_history.hpp"
#include "adapters/tz.hpp"
#include "app/commands.hpp"
#include "app/common.hpp"
#include "app/web.hpp"
#include "plugin/history.hpp"

namespace hypnic::app {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr double MAX_TICK_S = 60;          // re-check the wall clock at least this often
constexpr double MIN_TICK_S = 0.02;        // never arm the timer for less (a due wake-up runs promptly)
constexpr double IDLE_MIN_TICK_S = 1;      // a wake-up that does not move forward is retried at most 1/s
constexpr double PRUNE_EVERY_S = 6 * 3600.0;  // retention is in days: a few passes a day are plenty
constexpr double CHECKPOINT_EVERY_S = 300; // what the journal replays after a crash is at most this old
// A flood (a sensor's backlog, a replay at full speed) checkpoints early, so that the journal a
// crash would replay stays small on the disk and quick to read at start.
constexpr std::uint64_t JOURNAL_CHECKPOINT_BYTES = 32u << 20;
constexpr auto REJECT_LOG_EVERY = std::chrono::minutes(1);
constexpr std::size_t REJECT_KEYS_MAX = 4096;
constexpr auto STOP_TIMEOUT = std::chrono::seconds(5);
constexpr const char* ANNOUNCED_KEY = "homeassistant/announced";  // History state: what discovery announced

UnixS wall_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// systemd's notification protocol: one datagram to $NOTIFY_SOCKET (no libsystemd needed).
void sd_notify(const std::string& state) {
    const char* path = std::getenv("NOTIFY_SOCKET");
    if (!path || !*path) return;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::size_t len = std::strlen(path);
    if (len >= sizeof addr.sun_path) {
        spdlog::warn("NOTIFY_SOCKET is longer than a unix socket path may be; not notifying systemd");
        return;
    }
    std::memcpy(addr.sun_path, path, len);
    if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    const auto addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
    if (::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), addr_len) < 0)
        spdlog::debug("notifying systemd ({}) failed: {}", state, std::strerror(errno));
    ::close(fd);
}

std::string monotonic_usec() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::to_string(static_cast<long long>(ts.tv_sec) * 1000000LL + ts.tv_nsec / 1000);
}

/// The one place the daemon's History is chosen: the SQLite store (store.path, default
/// <state_dir>/hypnic.db). Throws naming the file when it cannot be opened.
std::unique_ptr<SqliteHistory> make_history(const Config& cfg) {
    const std::string path = cfg.store.path.empty() ? SqliteHistory::default_path(cfg.state_dir) : cfg.store.path;
    // systemd's StateDirectory= creates the directory; a hand-started daemon may need it made.
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    return std::make_unique<SqliteHistory>(path);
}

/// True when a change between the two option sets needs a new connection.
bool connection_changed(const MqttOptions& a, const MqttOptions& b) {
    return a.url != b.url || a.base_topic != b.base_topic || a.client_id != b.client_id || a.username != b.username ||
           a.password != b.password || a.keepalive_s != b.keepalive_s || a.qos != b.qos ||
           a.clean_session != b.clean_session || a.reconnect_min_s != b.reconnect_min_s ||
           a.reconnect_max_s != b.reconnect_max_s || a.max_payload_bytes != b.max_payload_bytes ||
           a.tls.enabled != b.tls.enabled || a.tls.ca_file != b.tls.ca_file || a.tls.cert_file != b.tls.cert_file ||
           a.tls.key_file != b.tls.key_file || a.tls.verify != b.tls.verify;
}

spdlog::level::level_enum to_spdlog(MqttLogLevel l) {
    switch (l) {
        case MqttLogLevel::debug: return spdlog::level::debug;
        case MqttLogLevel::info: return spdlog::level::info;
        case MqttLogLevel::warn: return spdlog::level::warn;
        case MqttLogLevel::error: return spdlog::level::err;
    }
    return spdlog::level::info;
}

/// Logs rejected messages at most once per topic and reason per minute, with the count in between.
class RejectLog {
public:
    void add(const Rejection& r) {
        const auto now = SteadyClock::now();
        if (entries_.size() >= REJECT_KEYS_MAX) entries_.clear();  // wildcard floods must not grow memory
        auto [it, fresh] = entries_.try_emplace({r.topic, r.reason});
        Entry& e = it->second;
        if (!fresh && now - e.last_logged < REJECT_LOG_EVERY) {
            ++e.suppressed;
            return;
        }
        if (e.suppressed)
            spdlog::warn("rejected a message on '{}' ({}): {} [{} more like it in the last minute]", r.topic, r.reason,
                         r.detail, e.suppressed);
        else
            spdlog::warn("rejected a message on '{}' ({}): {}", r.topic, r.reason, r.detail);
        e.last_logged = now;
        e.suppressed = 0;
    }

private:
    struct Entry {
        SteadyClock::time_point last_logged{};
        std::uint64_t suppressed = 0;
    };
    std::map<std::pair<std::string, std::string>, Entry> entries_;
};

/// Everything the running daemon owns. All of it runs on `io_` (one thread).
class Daemon {
public:
    Daemon(std::string config_path, std::unique_ptr<Config> cfg, std::unique_ptr<Zone> zone)
        : config_path_(std::move(config_path)), cfg_(std::move(cfg)), zone_(std::move(zone)) {}

    int run() {
        try {
            history_ = make_history(*cfg_);
            store_ = std::make_unique<JournaledHistory>(*history_);
            pipeline_ = std::make_unique<Pipeline>(cfg_->mqtt, cfg_->plugin, *zone_, *store_);
            auto unapplied = open_journal();
            client_ = make_client(cfg_->mqtt);
            // Before connecting: what arrived after the last checkpoint comes first, in order.
            catch_up(unapplied);
        } catch (const std::exception& e) {
            spdlog::error("{}: cannot start: {}", config_path_, e.what());
            return EXIT_RUNTIME;
        }
        signals_.async_wait([this](const boost::system::error_code& ec, int sig) { on_signal(ec, sig); });
        client_->set_subscriptions(topics());
        client_->start();
        start_web();
        spdlog::info("hypnicd {} running: {} sleeper(s), zone {}, base topic '{}'", HYPNIC_VERSION,
                     cfg_->plugin.sleepers.size(), zone_->name(), cfg_->mqtt.base_topic);
        last_checkpoint_ = wall_now();
        prune(last_checkpoint_);
        tick();
        arm_diagnostics();
        io_.run();
        return exit_code_;
    }

private:
    std::unique_ptr<MqttClient> make_client(const MqttOptions& o) {
        MqttHandlers h;
        h.on_connected = [this] { on_connected(); };
        if (journal_)
            h.on_arrival = [j = journal_.get()](std::string_view t, std::string_view p, bool retained, double arrival_s) {
                return j->append(t, p, retained, arrival_s);
            };
        h.on_message_at = [this](std::string_view t, std::string_view p, bool retained, double arrival_s, std::uint64_t seq) {
            on_message(t, p, retained, arrival_s, seq);
        };
        h.log = [](MqttLogLevel l, const std::string& line) { spdlog::log(to_spdlog(l), "mqtt: {}", line); };
        return std::make_unique<MqttClient>(io_, o, std::move(h));
    }

    std::vector<std::string> topics() const {
        auto t = pipeline_->subscriptions();
        if (cfg_->homeassistant.enabled) t.push_back(cfg_->homeassistant.status_topic);
        return t;
    }

    void publish_all(std::vector<Publication>& pubs, UnixS now) {
        for (auto& p : pubs) {
            if (p.ts == 0) p.ts = now;
            client_->publish(p);
        }
        pubs.clear();
    }

    /// The optional live web view (web.enabled). It is optional: a port in use is logged, not fatal.
    void start_web() {
        if (!cfg_->web.enabled) return;
        WebSources src;
        src.config = [this]() -> const Config& { return *cfg_; };
        src.zone = [this]() -> const Zone& { return *zone_; };
        src.history = [this]() -> SqliteHistory& { return *history_; };
        src.now = [] { return wall_now(); };
        // The same thread as the pipeline (io_), so reading the core's open night needs no lock.
        src.night_so_far = [this](const std::string& id) { return pipeline_->plugin().night_so_far(id); };
        try {
            web_ = std::make_unique<web::Server>(io_, cfg_->web, make_web_handler(std::move(src)),
                                                 [](const std::string& line) { spdlog::warn("{}", line); });
            if (cfg_->web.allow_from.empty() && cfg_->web.listen != "127.0.0.1" && cfg_->web.listen != "::1")
                spdlog::warn("web view on {} accepts every peer: set web.allow_from to limit who may read it",
                             cfg_->web.listen);
            spdlog::info("web view on http://{}:{}/", cfg_->web.listen.find(':') != std::string::npos
                                                          ? "[" + cfg_->web.listen + "]"
                                                          : cfg_->web.listen,
                         web_->port());
        } catch (const std::exception& e) {
            spdlog::error("{}; running without it", e.what());
        }
    }

    void on_connected() {
        if (!ready_sent_) {
            sd_notify("READY=1\nSTATUS=connected to the MQTT broker");
            ready_sent_ = true;
        }
        announce();
    }

    /// Every retained state again: after a (re)connect, a reload, or Home Assistant's birth.
    void announce() {
        const UnixS now = wall_now();
        std::vector<Publication> out;
        discovery(now, out);
        try {
            pipeline_->retained(now, out);
        } catch (const std::exception& e) {
            spdlog::error("building the retained state failed: {}", e.what());
        }
        publish_all(out, now);
    }

    /// Home Assistant discovery, planned against what was announced before (so that sleepers that
    /// went away, or a switch of discovery form, are cleaned up); also runs when disabled, to remove.
    void discovery(UnixS now, std::vector<Publication>& out) {
        try {
            std::vector<ha::AnnouncedEntity> previous;
            if (auto blob = history_->get_state(ANNOUNCED_KEY)) {
                auto parsed = ha::parse_announced(*blob);
                for (const auto& e : parsed.errors) spdlog::warn("stored discovery state: {}", e);
                previous = std::move(parsed.announced);
            }
            // Only this shard's sleepers: the other instances announce theirs (docs/scale.md).
            auto plan = ha::plan_discovery(ha::make_discovery_options(cfg_->homeassistant, pipeline_->plugin().params(), HYPNIC_VERSION),
                                           previous, now);
            for (const auto& e : plan.errors) spdlog::warn("discovery: {}", e);
            for (auto& p : plan.publications) out.push_back(std::move(p));
            history_->put_state(ANNOUNCED_KEY, ha::announced_to_json(plan.announced));
        } catch (const std::exception& e) {
            spdlog::error("Home Assistant discovery failed: {}", e.what());
        }
    }

    /// `now` is the arrival time the journal holds, so that a replay after a crash sees the same.
    void on_message(std::string_view topic, std::string_view payload, bool retained, UnixS now, std::uint64_t seq) {
        if (journal_ && seq > applied_seq_ + 1) handle_skipped(seq);
        applied_seq_ = std::max(applied_seq_, seq);
        if (cfg_->homeassistant.enabled && topic == cfg_->homeassistant.status_topic) {
            if (payload == "online") schedule_announce();
            return;
        }
        std::vector<Publication> out;
        try {
            if (auto r = pipeline_->on_message(topic, payload, now, out, retained)) rejects_.add(*r);
        } catch (const std::exception& e) {
            // A bug must cost one message, not the night.
            rejects_.add(Rejection{std::string(topic), "internal", e.what()});
        }
        publish_all(out, now);
        // A state blob written outside a checkpoint (a night closed) is committed with all the
        // others at once, so that the stored state always fits the journal position.
        if (store_->dirty() || (journal_ && journal_->bytes_unapplied() >= JOURNAL_CHECKPOINT_BYTES)) checkpoint(now);
        // The message may have brought a timer forward. Only a wake-up that no tick has seen yet
        // re-arms, so a flood of messages cannot keep pushing a stale one away.
        const UnixS next = pipeline_->next_wakeup();
        if (next < armed_for_ && next > last_tick_) arm_tick(now);
    }

    /// Opens the journal (store.journal) and returns the records no committed checkpoint covers.
    std::vector<JournalRecord> open_journal() {
        applied_seq_ = store_->applied_seq();
        if (!cfg_->store.journal) return {};
        journal_ = std::make_unique<Journal>(cfg_->state_dir + "/journal", cfg_->store.journal_fsync,
                                             [](const std::string& line) { spdlog::warn("{}", line); });
        return journal_->recover(applied_seq_);
    }

    /// Replays journal records through the same pipeline path, with clock ticks at the wake-ups
    /// due before each arrival as the live loop would have had them. Their publications are
    /// queued and go out on connect (at least once: some may have gone out before the crash),
    /// followed by the retained state. Events and factor logs already stored are not stored twice.
    void catch_up(const std::vector<JournalRecord>& records) {
        if (records.empty()) return;
        spdlog::info("journal: replaying {} message(s) received after the last checkpoint (sequence {}..{})",
                     records.size(), records.front().seq, records.back().seq);
        store_->set_replaying(true);
        std::vector<Publication> out;
        for (const auto& r : records) {
            UnixS last = -INFINITY;
            for (UnixS next = pipeline_->next_wakeup(); next <= r.arrival && next > last; next = pipeline_->next_wakeup()) {
                try {
                    pipeline_->on_time(next, out);
                } catch (const std::exception& e) {
                    spdlog::error("journal replay: clock tick at {:.3f} failed: {}", next, e.what());
                }
                publish_all(out, next);
                last = next;
            }
            applied_seq_ = std::max(applied_seq_, r.seq);
            if (cfg_->homeassistant.enabled && r.topic == cfg_->homeassistant.status_topic) continue;
            try {
                if (auto rej = pipeline_->on_message(r.topic, r.payload, r.arrival, out, r.retained)) rejects_.add(*rej);
            } catch (const std::exception& e) {
                rejects_.add(Rejection{r.topic, "internal", e.what()});
            }
            publish_all(out, r.arrival);
        }
        store_->set_replaying(false);
        if (store_->skipped_duplicates() > 0)
            spdlog::info("journal: {} event(s) or factor log(s) were already stored before the restart",
                         store_->skipped_duplicates());
        checkpoint(wall_now());
    }

    /// Messages journaled before `seq` but never handed to on_message (a reload replaced the
    /// client while they were on their way) are handled now, from the journal, in order.
    void handle_skipped(std::uint64_t seq) {
        const auto records = journal_->read_between(applied_seq_, seq);
        if (records.empty()) return;  // numbers without a record: their writes failed (logged)
        spdlog::warn("journal: handling {} message(s) whose delivery was cut short (sequence {}..{})", records.size(),
                     records.front().seq, records.back().seq);
        for (const auto& r : records) on_message(r.topic, r.payload, r.retained, r.arrival, r.seq);
    }

    void schedule_announce() {
        const double max_s = std::max(0.0, cfg_->homeassistant.announce_delay_max_s);
        std::uniform_real_distribution<double> dist(0.0, max_s);
        const double delay_s = max_s > 0 ? dist(rng_) : 0.0;
        // Spreading the re-announce keeps a restarting Home Assistant from a burst of every device at once.
        spdlog::info("Home Assistant is online: re-announcing in {:.1f} s", delay_s);
        announce_timer_.expires_after(std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(delay_s)));
        announce_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (!ec && !stopping_) announce();
        });
    }

    void tick() {
        if (stopping_) return;
        const UnixS now = wall_now();
        std::vector<Publication> out;
        try {
            pipeline_->on_time(now, out);
        } catch (const std::exception& e) {
            spdlog::error("clock tick at {:.3f} failed: {}", now, e.what());
        }
        publish_all(out, now);
        if (store_->dirty() || now - last_checkpoint_ >= CHECKPOINT_EVERY_S) checkpoint(now);
        last_tick_ = now;
        arm_tick(now);
    }

    /// Arms the timer for the next wake-up, at most MAX_TICK_S away; the wall clock is read again
    /// on every wake-up, so a suspend or an NTP step only delays work by one wait.
    void arm_tick(UnixS now) {
        const UnixS next = pipeline_->next_wakeup();
        double delay_s = std::isfinite(next) ? next - now : MAX_TICK_S;
        delay_s = std::clamp(delay_s, MIN_TICK_S, MAX_TICK_S);
        // A wake-up that a tick at or after it did not move is stale: do not spin on it.
        if (next <= last_tick_) delay_s = std::max(delay_s, IDLE_MIN_TICK_S);
        armed_for_ = now + delay_s;
        tick_timer_.expires_after(std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(delay_s)));
        tick_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) tick();
        });
    }

    /// `<base>/diagnostics` every mqtt.diagnostics_interval_s while connected (retained, so a
    /// dashboard that subscribes later sees the latest counters at once).
    void arm_diagnostics() {
        const int every_s = cfg_->mqtt.diagnostics_interval_s;
        if (every_s <= 0 || stopping_) return;
        diagnostics_timer_.expires_after(std::chrono::seconds(every_s));
        diagnostics_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (ec || stopping_) return;
            publish_diagnostics();
            arm_diagnostics();
        });
    }

    void publish_diagnostics() {
        if (!client_->connected()) return;  // counters are not worth queueing: the next round has newer ones
        DaemonCounters c = retired_;
        add_client_stats(c);
        c.uptime_s = std::chrono::duration<double>(SteadyClock::now() - started_).count();
        const UnixS now = wall_now();
        client_->publish(Publication{now, cfg_->mqtt.base_topic + "/diagnostics",
                                     diagnostics_payload(c, pipeline_->rejects(), now), true, 1});
    }

    /// Keeps the counters of a client that a reload replaces, so that the published ones only grow.
    void retire_client_stats() { add_client_stats(retired_); }

    /// Adds the current client's counters to `c`.
    void add_client_stats(DaemonCounters& c) const {
        const MqttStats& s = client_->stats();
        c.messages_in += s.received;
        c.messages_out += s.published;
        c.connects += s.connects;
        c.connections_lost += s.connections_lost;
        c.connect_failures += s.connect_failures;
        c.dropped_oversize += s.dropped_oversize;
        c.dropped_queue_full += s.dropped_queue_full;
    }

    /// Saves every in-progress state and the journal position in one transaction, then lets the
    /// journal drop what that covers.
    void checkpoint(UnixS now) {
        try {
            pipeline_->checkpoint();
            store_->commit(applied_seq_);
            if (journal_) journal_->applied_through(applied_seq_);
        } catch (const std::exception& e) {
            spdlog::error("saving the in-progress state failed: {}", e.what());
        }
        last_checkpoint_ = now;
        if (now - last_prune_ >= PRUNE_EVERY_S) prune(now);
    }

    /// Applies store.retention_days: old movement events go, nights and factor logs stay.
    void prune(UnixS now) {
        last_prune_ = now;
        if (cfg_->store.retention_days <= 0) return;
        try {
            const std::size_t n = history_->prune_events(now, cfg_->store.retention_days);
            if (n > 0) spdlog::info("store: removed {} movement event(s) older than {} days", n, cfg_->store.retention_days);
        } catch (const std::exception& e) {
            spdlog::error("store: pruning old events failed: {}", e.what());
        }
    }

    void on_signal(const boost::system::error_code& ec, int sig) {
        if (ec) return;
        if (sig == SIGHUP) {
            reload();
            signals_.async_wait([this](const boost::system::error_code& e, int s) { on_signal(e, s); });
            return;
        }
        shutdown(sig);
    }

    void shutdown(int sig) {
        stopping_ = true;
        spdlog::info("{}: saving state, going offline", sig == SIGINT ? "SIGINT" : "SIGTERM");
        sd_notify("STOPPING=1");
        checkpoint(wall_now());
        client_->stop(STOP_TIMEOUT);
        tick_timer_.cancel();
        if (web_) web_->stop();
        announce_timer_.cancel();
        diagnostics_timer_.cancel();
        signals_.cancel();
        exit_code_ = EXIT_OK;
        io_.stop();
    }

    void reload() {
        sd_notify("RELOADING=1\nMONOTONIC_USEC=" + monotonic_usec());
        spdlog::info("SIGHUP: reloading {}", config_path_);
        apply(load_config_file(config_path_));
        sd_notify("READY=1");
    }

    void apply(ConfigResult r) {
        if (!r.ok()) {
            for (const auto& e : r.errors) spdlog::error("{}", e.to_string());
            spdlog::error("reload: {} error(s) in {}; keeping the running configuration", r.errors.size(), config_path_);
            return;
        }
        auto cfg = std::make_unique<Config>(std::move(r.config));
        std::unique_ptr<Zone> zone;
        std::unique_ptr<Pipeline> pipe;
        try {
            zone = make_zone(cfg->timezone);
            // The old pipeline saves its in-progress state first so that the new one carries on from it.
            pipeline_->checkpoint();
            store_->commit(applied_seq_);
            pipe = std::make_unique<Pipeline>(cfg->mqtt, cfg->plugin, *zone, *store_);
        } catch (const std::exception& e) {
            spdlog::error("reload: {}: {}; keeping the running configuration", config_path_, e.what());
            return;
        }
        if (cfg->state_dir != cfg_->state_dir)
            spdlog::warn("reload: state_dir changed to '{}'; it takes effect at the next start", cfg->state_dir);
        const bool reconnect = connection_changed(cfg->mqtt, cfg_->mqtt);
        spdlog::set_level(spdlog::level::from_str(cfg->log.level));
        // Swap in the order of dependence: the pipeline refers to the config and the zone.
        std::swap(pipeline_, pipe);
        std::swap(cfg_, cfg);
        std::swap(zone_, zone);
        pipe.reset();
        if (reconnect) {
            spdlog::info("reload: MQTT connection settings changed; reconnecting to {}",
                         MqttClient::mask_url(cfg_->mqtt.url));
            client_->stop(STOP_TIMEOUT);
            retire_client_stats();
            try {
                client_ = make_client(cfg_->mqtt);
            } catch (const std::exception& e) {
                spdlog::error("reload: {}; stopping", e.what());
                exit_code_ = EXIT_RUNTIME;
                io_.stop();
                return;
            }
            client_->set_subscriptions(topics());
            client_->start();
        } else {
            client_->set_subscriptions(topics());
            if (client_->connected()) announce();
        }
        spdlog::info("reload: {} sleeper(s) configured", cfg_->plugin.sleepers.size());
        arm_tick(wall_now());
    }

    std::string config_path_;
    std::unique_ptr<Config> cfg_;
    std::unique_ptr<Zone> zone_;
    boost::asio::io_context io_;
    boost::asio::signal_set signals_{io_, SIGTERM, SIGINT, SIGHUP};
    boost::asio::steady_timer tick_timer_{io_};
    boost::asio::steady_timer announce_timer_{io_};
    boost::asio::steady_timer diagnostics_timer_{io_};
    SteadyClock::time_point started_ = SteadyClock::now();
    DaemonCounters retired_;  // counters of MQTT clients replaced by a reload
    std::unique_ptr<SqliteHistory> history_;
    std::unique_ptr<JournaledHistory> store_;  // what the pipeline writes through: commits with the journal position
    std::unique_ptr<Journal> journal_;         // before the client, whose paho thread appends to it
    std::uint64_t applied_seq_ = 0;            // the last journal record handled
    UnixS last_prune_ = 0;
    std::unique_ptr<Pipeline> pipeline_;
    std::unique_ptr<MqttClient> client_;  // after the pipeline: destroyed (and disconnected) first
    std::unique_ptr<web::Server> web_;    // last: destroyed first, while the history it reads is still open
    RejectLog rejects_;
    std::mt19937 rng_{std::random_device{}()};
    UnixS last_tick_ = -INFINITY;
    UnixS armed_for_ = INFINITY;
    UnixS last_checkpoint_ = 0;
    bool ready_sent_ = false;
    bool stopping_ = false;
    int exit_code_ = EXIT_OK;
};

}  // namespace

int run_daemon(const RunOptions& o) {
    auto cfg = load_config_reporting(o.config);
    if (!cfg) return EXIT_USAGE;
    setup_logging(cfg->log.level);
    std::unique_ptr<Zone> zone;
    try {
        zone = make_zone(cfg->timezone);
    } catch (const std::exception& e) {
        spdlog::error("{}: {}", o.config, e.what());
        return EXIT_USAGE;
    }
    Daemon d(o.config, std::make_unique<Config>(std::move(*cfg)), std::move(zone));
    return d.run();
}

}  // namespace hypnic::app
