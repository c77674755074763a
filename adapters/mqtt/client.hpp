// The MQTT edge: one paho async_client whose callbacks are handed to a Boost.Asio io_context.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/options.hpp"
#include "plugin/types.hpp"

namespace hypnic {

/// Severity of a line the client wants logged (the adapters carry no logging library).
enum class MqttLogLevel { debug, info, warn, error };

/// Counters for diagnostics and tests. All values only grow.
struct MqttStats {
    std::uint64_t connects = 0;            ///< successful connects, including reconnects
    std::uint64_t connect_failures = 0;    ///< failed connect attempts
    std::uint64_t connections_lost = 0;
    std::uint64_t received = 0;            ///< messages handed to on_message
    std::uint64_t dropped_oversize = 0;    ///< payloads over max_payload_bytes, dropped before parsing
    std::uint64_t published = 0;           ///< publications handed to paho
    std::uint64_t delivered = 0;           ///< deliveries paho confirmed (QoS 1/2: acknowledged)
    std::uint64_t dropped_queue_full = 0;  ///< oldest queued publications dropped while disconnected
    std::uint64_t publish_errors = 0;      ///< publications paho refused outright
};

/// Callbacks of the client. All of them run on the io_context passed to MqttClient, never on a
/// paho thread, so they may call any MqttClient method except stop().
struct MqttHandlers {
    /// After every (re)connect, once `<base>/status` = `online` has been queued and every topic
    /// re-subscribed: the place to re-publish retained state.
    std::function<void()> on_connected;
    /// One incoming message whose payload is at most max_payload_bytes long.
    std::function<void(std::string_view topic, std::string_view payload, bool retained)> on_message;
    /// Write-ahead hook: runs on paho's thread for every message within max_payload_bytes, before
    /// paho's arrival callback returns, with the arrival time (wall clock, Unix s). Returns a
    /// sequence number handed on to on_message_at. It must be thread-safe and must not block for long.
    std::function<std::uint64_t(std::string_view topic, std::string_view payload, bool retained, double arrival_s)> on_arrival;
    /// Like on_message, with the arrival time read on paho's thread and the number on_arrival
    /// returned (0 without on_arrival). When set it is called instead of on_message.
    std::function<void(std::string_view topic, std::string_view payload, bool retained, double arrival_s, std::uint64_t seq)>
        on_message_at;
    /// The connection dropped (a reconnect is already scheduled).
    std::function<void(const std::string& cause)> on_connection_lost;
    /// Log sink; secrets never reach it. Null: silent.
    std::function<void(MqttLogLevel, const std::string&)> log;
};

/// Per-use settings that are not part of the user's configuration.
struct MqttClientSettings {
    /// Publications kept while disconnected; beyond this the oldest are dropped (and counted).
    std::size_t queue_limit = 10000;
    /// Publish `<base>/status` online/offline and set the LWT. Off for side tools such as
    /// `hypnicd record`, which must not speak for the daemon.
    bool availability = true;
};

/// A resilient MQTT client for hypnicd on paho-mqtt-cpp's async_client.
///
/// Threading: construct, call every method and destroy on the thread that runs `io` (or while
/// `io` is not running). paho's callbacks only post onto `io`; nothing here waits on a paho token
/// from a paho thread. `io` must outlive the client.
///
/// Behaviour: stable client id, persistent session (clean_session from the options, false by
/// default; with `shared_group` set it connects with MQTT 5, clean start = clean_session and a
/// one-week session expiry), LWT `<base>/status` = `offline` (retained, QoS 1). On every (re)connect it publishes
/// `online` retained, re-subscribes every topic at the configured QoS and calls on_connected. A
/// failed connect or a lost connection is retried after reconnect_min_s, doubling up to
/// reconnect_max_s; a broker that is down at start is simply retried.
class MqttClient {
public:
    /// Throws std::invalid_argument naming the URL when paho refuses it (unknown scheme).
    MqttClient(boost::asio::io_context& io, MqttOptions options, MqttHandlers handlers,
               MqttClientSettings settings = {});
    /// Drops the connection without a clean stop if stop() was not called (the broker then
    /// publishes the LWT `offline`).
    ~MqttClient();
    MqttClient(const MqttClient&) = delete;
    MqttClient& operator=(const MqttClient&) = delete;

    /// Starts connecting (non-blocking). Subscriptions added before are sent on connect.
    void start();
    /// Adds a topic filter; subscribed now when connected and again on every reconnect.
    void subscribe(const std::string& filter);
    /// Replaces the whole set of filters (config reload): unsubscribes the ones that went away.
    void set_subscriptions(const std::vector<std::string>& filters);
    const std::vector<std::string>& subscriptions() const;
    /// Non-blocking. Retain and QoS come from `p`; queued (bounded) while disconnected.
    void publish(const Publication& p);
    bool connected() const;
    /// Publications waiting for a connection.
    std::size_t queued() const;
    const MqttStats& stats() const;
    const MqttOptions& options() const;
    /// The topic of the availability message: `<base>/status`.
    std::string status_topic() const;

    /// Clean shutdown: publishes `offline` retained (when `availability`) and waits up to `timeout`
    /// for the broker to acknowledge it, then disconnects. Blocks; never call it from a paho callback. Idempotent.
    /// Returns true when `offline` was acknowledged.
    bool stop(std::chrono::milliseconds timeout = std::chrono::seconds(5));

    /// `url` with any `user:pass@` replaced by `***@`, for logs.
    static std::string mask_url(std::string_view url);
    /// "hypnic-<hostname>" with the host name reduced to [A-Za-z0-9_-].
    static std::string default_client_id();
    /// The URL paho is given: mqtt:// → tcp://, mqtts:// → ssl://, tcp:// → ssl:// and ws:// →
    /// wss:// when TLS is enabled; any user info removed.
    static std::string paho_url(const MqttOptions& options);

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace hypnic
