// MqttClient: paho async_client callbacks posted onto one io_context; reconnect, queueing, clean stop.
#include "adapters/mqtt/client.hpp"

#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <mqtt/async_client.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdint>
#include <deque>
#include <stdexcept>

namespace hypnic {

namespace {

constexpr int CONNECT_TIMEOUT_S = 10;
// MQTT 5 ends a persistent session after this long without a connection (3.1.1 keeps it forever);
// a week covers any realistic outage while letting the broker forget an instance that was removed.
constexpr int SESSION_EXPIRY_S = 7 * 24 * 3600;
// Commands paho may hold before its send thread has written them (a burst of publications).
constexpr int PAHO_MAX_BUFFERED = 65535;
constexpr const char* ONLINE = "online";
constexpr const char* OFFLINE = "offline";

/// The position just after "scheme://", or npos.
std::size_t authority_start(std::string_view url) {
    const auto p = url.find("://");
    return p == std::string_view::npos ? p : p + 3;
}

/// [start, at) is the user info of `url` when `at` != npos.
std::size_t userinfo_end(std::string_view url, std::size_t start) {
    const auto slash = url.find('/', start);
    const auto authority = url.substr(start, slash == std::string_view::npos ? url.npos : slash - start);
    const auto at = authority.rfind('@');
    return at == std::string_view::npos ? at : start + at;
}

/// Why a connect failed, in words a user can act on: MQTT 3.1.1 CONNACK codes (OASIS MQTT 3.1.1,
/// 3.2.2.3), MQTT 5 reason codes (OASIS MQTT 5.0, 3.2.2.2) and paho's own failure for the network.
std::string connect_failure_text(int rc, int reason) {
    // paho reports 255 ("no reason code") for MQTT 3.1.1, where the CONNACK code is in rc.
    switch (reason && reason != 255 ? reason : rc) {
        case 1: return "the broker refused the protocol version";
        case 2: case 133: return "the broker refused the client id (mqtt.client_id)";
        case 3: case 136: return "the broker is unavailable";
        case 4: case 134: return "bad user name or password (mqtt.username, mqtt.password*)";
        case 5: case 135: return "not authorised (check mqtt.username and the password, or the client certificate)";
        case 138: return "this client is banned by the broker";
        default: break;
    }
    if (rc == -1)
        return "no connection: the broker is unreachable, or the TLS handshake or certificate check failed";
    return "connect failed";
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct MqttClient::Impl : std::enable_shared_from_this<MqttClient::Impl> {
    /// Receives every paho callback on paho's thread and only posts onto the io_context. It holds
    /// a weak reference, so work posted after the client is gone does nothing.
    class Bridge final : public mqtt::callback, public mqtt::iaction_listener {
    public:
        explicit Bridge(boost::asio::io_context& io) : io_(io) {}
        std::weak_ptr<Impl> self;

        void connected(const std::string&) override {
            post([](Impl& s) { s.on_connected_event(); });
        }
        void connection_lost(const std::string& cause) override {
            post([cause](Impl& s) { s.on_connection_lost(cause); });
        }
        void message_arrived(mqtt::const_message_ptr msg) override {
            const double arrival_s =
                std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
            std::uint64_t seq = 0;
            // The journal is written here, on paho's thread, before this callback returns: a
            // message posted to the io_context but not yet handled would die with the process.
            if (on_arrival && msg->get_payload().size() <= max_payload_bytes) {
                try {
                    seq = on_arrival(msg->get_topic(), msg->get_payload(), msg->is_retained(), arrival_s);
                } catch (...) {
                    // The hook failing must not cost the message: it is still processed.
                }
            }
            post([msg = std::move(msg), arrival_s, seq](Impl& s) { s.on_message(*msg, arrival_s, seq); });
        }
        /// Copies of the write-ahead hook and the size cap, set before paho may call back.
        std::function<std::uint64_t(std::string_view, std::string_view, bool, double)> on_arrival;
        std::size_t max_payload_bytes = 0;
        void delivery_complete(mqtt::delivery_token_ptr) override {
            post([](Impl& s) { ++s.stats.delivered; });
        }
        // Results of connect attempts (the attempt number travels as the user context).
        void on_success(const mqtt::token&) override {
            post([](Impl& s) { s.on_connected_event(); });
        }
        /// OpenSSL's reason for a failed handshake (paho calls this on its own thread).
        void tls_error(const std::string& what) {
            post([what](Impl& s) { s.log(MqttLogLevel::error, "TLS: " + what); });
        }
        void on_failure(const mqtt::token& tok) override {
            const auto which = reinterpret_cast<std::uintptr_t>(tok.get_user_context());
            const int rc = tok.get_return_code();
            const int reason = static_cast<int>(tok.get_reason_code());
            post([which, rc, reason](Impl& s) { s.on_connect_failed(which, rc, reason); });
        }

    private:
        template <class F>
        void post(F f) {
            boost::asio::post(io_, [w = self, f = std::move(f)]() mutable {
                if (auto s = w.lock()) f(*s);
            });
        }
        boost::asio::io_context& io_;
    };

    /// Logs failed subscriptions (posted like everything else).
    class SubscribeListener final : public mqtt::iaction_listener {
    public:
        explicit SubscribeListener(boost::asio::io_context& io) : io_(io) {}
        std::weak_ptr<Impl> self;
        void on_success(const mqtt::token&) override {}
        void on_failure(const mqtt::token& tok) override {
            const int rc = tok.get_return_code();
            std::string topics;
            if (auto t = tok.get_topics())
                for (std::size_t i = 0; i < t->size(); ++i) topics += (i ? ", " : "") + (*t)[i];
            boost::asio::post(io_, [w = self, rc, topics] {
                if (auto s = w.lock()) s->log(MqttLogLevel::error, "subscribing to '" + topics + "' failed (paho rc " + std::to_string(rc) + ")");
            });
        }

    private:
        boost::asio::io_context& io_;
    };

    Impl(boost::asio::io_context& io_ctx, MqttOptions o, MqttHandlers h, MqttClientSettings st)
        : io(io_ctx), opts(std::move(o)), handlers(std::move(h)), queue_limit(std::max<std::size_t>(st.queue_limit, 1)),
          availability(st.availability),
          timer(io_ctx), bridge(io_ctx), sub_listener(io_ctx) {
        if (opts.client_id.empty()) opts.client_id = default_client_id();
        opts.reconnect_min_s = std::max(opts.reconnect_min_s, 1);
        opts.reconnect_max_s = std::max(opts.reconnect_max_s, opts.reconnect_min_s);
        backoff_s = opts.reconnect_min_s;
        bridge.on_arrival = handlers.on_arrival;
        bridge.max_payload_bytes = opts.max_payload_bytes;
        const std::string url = paho_url(opts);
        try {
            // Shared subscriptions ($share/...) are an MQTT 5 feature: only then speak version 5.
            // paho also refuses publications beyond maxBufferedMessages (default 100) while
            // connected; the retained state of a few dozen sleepers after a connect exceeds that.
            const mqtt::create_options create(mqtt5() ? MQTTVERSION_5 : MQTTVERSION_DEFAULT, PAHO_MAX_BUFFERED);
            cli = std::make_unique<mqtt::async_client>(url, opts.client_id, create,
                                                       static_cast<mqtt::iclient_persistence*>(nullptr));
        } catch (const mqtt::exception& e) {
            throw std::invalid_argument("mqtt.url '" + mask_url(opts.url) + "': not accepted by the MQTT library (" +
                                        e.get_error_str() + ")");
        }
        conn_opts.set_keep_alive_interval(opts.keepalive_s);
        if (mqtt5()) {
            // Version 5 refuses the 3.1.1 clean-session flag: clean start plus a session expiry replace it.
            conn_opts.set_clean_session(false);
            conn_opts.set_mqtt_version(MQTTVERSION_5);
            conn_opts.set_clean_start(opts.clean_session);
            if (!opts.clean_session)
                conn_opts.set_properties(mqtt::properties{{mqtt::property::SESSION_EXPIRY_INTERVAL, SESSION_EXPIRY_S}});
        } else {
            conn_opts.set_clean_session(opts.clean_session);
        }
        conn_opts.set_connect_timeout(CONNECT_TIMEOUT_S);
        conn_opts.set_automatic_reconnect(false);  // our own backoff also covers the first connect
        if (!opts.username.empty()) conn_opts.set_user_name(opts.username);
        if (!opts.password.empty()) conn_opts.set_password(opts.password);
        if (availability) conn_opts.set_will(mqtt::will_options(status_topic(), std::string(OFFLINE), 1, true));
        const std::string scheme = lower(url.substr(0, url.find("://")));
        if (opts.tls.enabled || scheme == "ssl" || scheme == "wss") {
            mqtt::ssl_options ssl;
            if (!opts.tls.ca_file.empty()) ssl.set_trust_store(opts.tls.ca_file);
            if (!opts.tls.cert_file.empty()) ssl.set_key_store(opts.tls.cert_file);
            if (!opts.tls.key_file.empty()) ssl.set_private_key(opts.tls.key_file);
            ssl.set_enable_server_cert_auth(opts.tls.verify);
            ssl.set_verify(opts.tls.verify);
            ssl.set_error_handler([b = &bridge](const std::string& what) { b->tls_error(what); });
            conn_opts.set_ssl(std::move(ssl));
        }
    }

    ~Impl() {
        timer.cancel();
        // The client goes first (members are destroyed in reverse order), then the bridge it calls.
    }

    void log(MqttLogLevel level, const std::string& line) const {
        if (handlers.log) handlers.log(level, line);
    }

    std::string status_topic() const { return opts.base_topic + "/status"; }
    bool mqtt5() const { return !opts.shared_group.empty(); }

    void start() {
        if (started || stopped) return;
        started = true;
        log(MqttLogLevel::info, "connecting to " + mask_url(opts.url) + " as '" + opts.client_id + "'");
        connect_now();
    }

    void connect_now() {
        if (stopped || connected || connecting) return;
        ++attempt;
        connecting = true;
        try {
            cli->connect(conn_opts, reinterpret_cast<void*>(static_cast<std::uintptr_t>(attempt)), bridge);
        } catch (const mqtt::exception& e) {
            connecting = false;
            ++stats.connect_failures;
            log(MqttLogLevel::warn, "connect to " + mask_url(opts.url) + " could not start: " + e.get_error_str());
            schedule_reconnect();
        }
    }

    void schedule_reconnect() {
        if (stopped) return;
        const int delay_s = backoff_s;
        backoff_s = std::min(backoff_s * 2, opts.reconnect_max_s);
        log(MqttLogLevel::info, "reconnecting in " + std::to_string(delay_s) + " s");
        timer.expires_after(std::chrono::seconds(delay_s));
        timer.async_wait([w = weak_from_this()](const boost::system::error_code& ec) {
            if (ec) return;
            if (auto s = w.lock()) s->connect_now();
        });
    }

    void on_connect_failed(std::uintptr_t which, int rc, int reason) {
        if (stopped || which != attempt || !connecting) return;
        connecting = false;
        ++stats.connect_failures;
        // One line per failure is enough: the backoff keeps their rate low.
        log(MqttLogLevel::warn, "connect to " + mask_url(opts.url) + " failed: " + connect_failure_text(rc, reason) +
                                    " (paho rc " + std::to_string(rc) +
                                    (reason ? ", reason " + std::to_string(reason) : std::string()) + ")");
        schedule_reconnect();
    }

    void on_connected_event() {
        // Both the connect result and paho's connected callback land here; the first one wins.
        if (stopped || connected || !connecting) return;
        connecting = false;
        connected = true;
        backoff_s = opts.reconnect_min_s;
        ++stats.connects;
        log(MqttLogLevel::info, "connected to " + mask_url(opts.url));
        if (availability) send(Publication{0, status_topic(), ONLINE, true, 1});
        for (const auto& f : subs) subscribe_now(f);
        // Older queued publications go first so that the handler's fresh retained state wins.
        while (connected && !queue.empty()) {
            Publication p = std::move(queue.front());
            queue.pop_front();
            send(p);
        }
        if (connected && handlers.on_connected) handlers.on_connected();
    }

    void on_connection_lost(const std::string& cause) {
        if (stopped || !connected) return;
        connected = false;
        ++stats.connections_lost;
        log(MqttLogLevel::warn, "connection to " + mask_url(opts.url) + " lost" + (cause.empty() ? "" : ": " + cause));
        if (handlers.on_connection_lost) handlers.on_connection_lost(cause);
        schedule_reconnect();
    }

    void on_message(const mqtt::message& msg, double arrival_s, std::uint64_t seq) {
        if (stopped) return;
        const std::string& payload = msg.get_payload();
        if (payload.size() > opts.max_payload_bytes) {
            ++stats.dropped_oversize;
            // Counted always, logged on powers of two so that a flood cannot flood the log.
            const auto n = stats.dropped_oversize;
            if ((n & (n - 1)) == 0)
                log(MqttLogLevel::warn, "dropped a " + std::to_string(payload.size()) + "-byte payload on '" +
                                            msg.get_topic() + "': larger than mqtt.max_payload_bytes (" +
                                            std::to_string(opts.max_payload_bytes) + "); " + std::to_string(n) +
                                            " dropped so far");
            return;
        }
        ++stats.received;
        if (handlers.on_message_at)
            handlers.on_message_at(msg.get_topic(), payload, msg.is_retained(), arrival_s, seq);
        else if (handlers.on_message)
            handlers.on_message(msg.get_topic(), payload, msg.is_retained());
    }

    void subscribe_now(const std::string& filter) {
        try {
            cli->subscribe(filter, opts.qos, nullptr, sub_listener);
        } catch (const mqtt::exception& e) {
            log(MqttLogLevel::error, "subscribing to '" + filter + "' failed: " + e.get_error_str());
        }
    }

    void enqueue(Publication p) {
        queue.push_back(std::move(p));
        if (queue.size() > queue_limit) {
            queue.pop_front();
            ++stats.dropped_queue_full;
            const auto n = stats.dropped_queue_full;
            if ((n & (n - 1)) == 0)
                log(MqttLogLevel::warn, "publish queue full (" + std::to_string(queue_limit) +
                                            ") while disconnected: dropped the oldest; " + std::to_string(n) +
                                            " dropped so far");
        }
    }

    void send(const Publication& p) {
        if (!connected) {
            enqueue(p);
            return;
        }
        try {
            auto msg = mqtt::make_message(p.topic, p.payload, std::clamp(p.qos, 0, 2), p.retain);
            cli->publish(msg);
            ++stats.published;
        } catch (const mqtt::exception& e) {
            // The connection may have dropped before paho told us: keep the publication for later.
            if (!cli->is_connected()) {
                enqueue(p);
            } else {
                ++stats.publish_errors;
                log(MqttLogLevel::error, "publishing to '" + p.topic + "' failed: " + e.get_error_str());
            }
        }
    }

    bool stop(std::chrono::milliseconds timeout) {
        if (stopped) return stop_result;
        stopped = true;
        timer.cancel();
        const bool was_connected = connected || cli->is_connected();
        connected = false;
        connecting = false;
        if (was_connected && !availability) {
            stop_result = true;
        } else if (was_connected) {
            try {
                auto tok = cli->publish(mqtt::make_message(status_topic(), OFFLINE, 1, true));
                stop_result = tok->wait_for(timeout);
            } catch (const mqtt::exception& e) {
                log(MqttLogLevel::warn, std::string("publishing 'offline' failed: ") + e.get_error_str());
            }
            if (!stop_result) log(MqttLogLevel::warn, "'offline' was not acknowledged in time");
        }
        try {
            // Also cancels a connect still in progress.
            cli->disconnect(static_cast<int>(std::min<long long>(timeout.count(), INT_MAX)))->wait_for(timeout);
        } catch (const mqtt::exception&) {
            // Not connected: nothing to close.
        }
        if (!queue.empty())
            log(MqttLogLevel::warn, std::to_string(queue.size()) + " publication(s) were never sent (no connection)");
        log(MqttLogLevel::info, "disconnected from " + mask_url(opts.url));
        return stop_result;
    }

    boost::asio::io_context& io;
    MqttOptions opts;
    MqttHandlers handlers;
    std::size_t queue_limit;
    bool availability;
    std::vector<std::string> subs;
    std::deque<Publication> queue;
    MqttStats stats;
    bool started = false;
    bool stopped = false;
    bool stop_result = false;
    bool connected = false;
    bool connecting = false;
    int backoff_s = 1;
    std::uintptr_t attempt = 0;
    boost::asio::steady_timer timer;
    mqtt::connect_options conn_opts;
    Bridge bridge;
    SubscribeListener sub_listener;
    std::unique_ptr<mqtt::async_client> cli;  // last: destroyed before the bridge it calls back
};

// ---------------------------------------------------------------------------------------------

MqttClient::MqttClient(boost::asio::io_context& io, MqttOptions options, MqttHandlers handlers, MqttClientSettings settings)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(handlers), settings)) {
    impl_->bridge.self = impl_;
    impl_->sub_listener.self = impl_;
    impl_->cli->set_callback(impl_->bridge);
}

MqttClient::~MqttClient() {
    // Leaving a stale `online` behind would lie to Home Assistant: stop cleanly if nobody did.
    try {
        impl_->stop(std::chrono::seconds(2));
    } catch (...) {
        // Nothing sensible is left to do in a destructor.
    }
}

void MqttClient::start() { impl_->start(); }

void MqttClient::subscribe(const std::string& filter) {
    auto& subs = impl_->subs;
    if (std::find(subs.begin(), subs.end(), filter) != subs.end()) return;
    subs.push_back(filter);
    if (impl_->connected) impl_->subscribe_now(filter);
}

void MqttClient::set_subscriptions(const std::vector<std::string>& filters) {
    auto& subs = impl_->subs;
    for (const auto& old : subs) {
        if (std::find(filters.begin(), filters.end(), old) != filters.end()) continue;
        if (impl_->connected) {
            try {
                impl_->cli->unsubscribe(old);
            } catch (const mqtt::exception& e) {
                impl_->log(MqttLogLevel::warn, "unsubscribing from '" + old + "' failed: " + e.get_error_str());
            }
        }
    }
    std::vector<std::string> added;
    for (const auto& f : filters)
        if (std::find(subs.begin(), subs.end(), f) == subs.end() && std::find(added.begin(), added.end(), f) == added.end())
            added.push_back(f);
    subs.clear();
    for (const auto& f : filters)
        if (std::find(subs.begin(), subs.end(), f) == subs.end()) subs.push_back(f);
    if (impl_->connected)
        for (const auto& f : added) impl_->subscribe_now(f);
}

const std::vector<std::string>& MqttClient::subscriptions() const { return impl_->subs; }

void MqttClient::publish(const Publication& p) {
    if (impl_->stopped) {
        impl_->log(MqttLogLevel::warn, "publication to '" + p.topic + "' after stop: not sent");
        return;
    }
    impl_->send(p);
}

bool MqttClient::connected() const { return impl_->connected; }
std::size_t MqttClient::queued() const { return impl_->queue.size(); }
const MqttStats& MqttClient::stats() const { return impl_->stats; }
const MqttOptions& MqttClient::options() const { return impl_->opts; }
std::string MqttClient::status_topic() const { return impl_->status_topic(); }

bool MqttClient::stop(std::chrono::milliseconds timeout) { return impl_->stop(timeout); }

std::string MqttClient::mask_url(std::string_view url) {
    const auto start = authority_start(url);
    if (start == std::string_view::npos) return std::string(url);
    const auto at = userinfo_end(url, start);
    if (at == std::string_view::npos) return std::string(url);
    return std::string(url.substr(0, start)) + "***" + std::string(url.substr(at));
}

std::string MqttClient::default_client_id() {
    char host[256] = {};
    std::string name;
    if (::gethostname(host, sizeof host - 1) == 0) name = host;
    std::string clean;
    for (unsigned char c : name)
        if (std::isalnum(c) || c == '-' || c == '_') clean += static_cast<char>(c);
    if (clean.empty()) clean = "host";
    // MQTT 3.1 brokers may refuse ids over 23 characters; 3.1.1 brokers such as mosquitto accept more.
    return "hypnic-" + clean;
}

std::string MqttClient::paho_url(const MqttOptions& options) {
    std::string url = options.url;
    const auto start = authority_start(url);
    if (start == std::string::npos) return url;
    const auto at = userinfo_end(url, start);
    if (at != std::string::npos) url.erase(start, at + 1 - start);
    const std::string scheme = lower(std::string_view(url).substr(0, start - 3));
    std::string rest = url.substr(start - 3);
    if (scheme == "mqtt") return (options.tls.enabled ? "ssl" : "tcp") + rest;
    if (scheme == "mqtts") return "ssl" + rest;
    if (scheme == "tcp" && options.tls.enabled) return "ssl" + rest;
    if (scheme == "ws" && options.tls.enabled) return "wss" + rest;
    return url;
}

}  // namespace hypnic
