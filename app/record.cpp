// `hypnicd record`: subscribe to every input topic of the configuration and write a capture.
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>

#include "adapters/capture.hpp"
#include "adapters/mqtt/client.hpp"
#include "adapters/pipeline.hpp"
#include "adapters/tz.hpp"
#include "app/commands.hpp"
#include "app/common.hpp"
#include "plugin/history.hpp"

namespace hypnic::app {

namespace {

UnixS wall_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// Every topic the daemon would listen to; the configured sensor topics when the pipeline
/// cannot be built.
std::vector<std::string> input_topics(const Config& cfg) {
    try {
        auto zone = make_zone(cfg.timezone);
        MemoryHistory history;
        Pipeline pipe(cfg.mqtt, cfg.plugin, *zone, history);
        return pipe.subscriptions();
    } catch (const std::exception& e) {
        spdlog::warn("record: {}; recording the configured sensor topics only", e.what());
    }
    std::vector<std::string> topics;
    for (const auto& s : cfg.plugin.sleepers)
        for (const auto& sensor : s.sensors) topics.push_back(sensor.topic);
    return topics;
}

}  // namespace

int record(const RecordOptions& o) {
    auto cfg = load_config_reporting(o.config);
    if (!cfg) return EXIT_USAGE;
    setup_logging(cfg->log.level);

    std::ofstream file;
    std::ostream* out = &std::cout;
    if (o.out != "-") {
        file.open(o.out, std::ios::binary | std::ios::trunc);
        if (!file) {
            std::cerr << o.out << ": cannot open for writing: " << std::strerror(errno) << '\n';
            return EXIT_RUNTIME;
        }
        out = &file;
    }

    const auto topics = input_topics(*cfg);
    if (topics.empty()) {
        std::cerr << o.config << ": no input topics configured; nothing to record\n";
        return EXIT_USAGE;
    }

    // A client of its own: a different id, so that the daemon's persistent session (and the
    // messages the broker queues for it) stays untouched, and no availability messages, because
    // `record` does not speak for the daemon.
    MqttOptions mqtt = cfg->mqtt;
    if (mqtt.client_id.empty()) mqtt.client_id = MqttClient::default_client_id();
    mqtt.client_id += "-record-" + std::to_string(::getpid());
    mqtt.clean_session = true;

    boost::asio::io_context io;
    std::uint64_t written = 0;
    bool write_failed = false;
    std::unique_ptr<MqttClient> client;
    auto finish = [&] {
        if (client) client->stop(std::chrono::seconds(2));
        io.stop();
    };

    MqttHandlers h;
    h.on_connected = [&] { spdlog::info("record: connected; recording {} topic filter(s)", topics.size()); };
    h.on_message = [&](std::string_view topic, std::string_view payload, bool) {
        write_capture_line(*out, CaptureLine{wall_now(), std::string(topic), std::string(payload)});
        // Flushed per line: a capture cut short by a crash or a full disk keeps every line before it.
        out->flush();
        if (!*out) {
            spdlog::error("record: writing {} failed: {}", o.out == "-" ? "stdout" : o.out, std::strerror(errno));
            write_failed = true;
            finish();
            return;
        }
        ++written;
    };
    h.log = [](MqttLogLevel l, const std::string& line) {
        switch (l) {
            case MqttLogLevel::debug: spdlog::debug("mqtt: {}", line); break;
            case MqttLogLevel::info: spdlog::info("mqtt: {}", line); break;
            case MqttLogLevel::warn: spdlog::warn("mqtt: {}", line); break;
            case MqttLogLevel::error: spdlog::error("mqtt: {}", line); break;
        }
    };
    MqttClientSettings settings;
    settings.availability = false;
    try {
        client = std::make_unique<MqttClient>(io, mqtt, std::move(h), settings);
    } catch (const std::exception& e) {
        std::cerr << o.config << ": " << e.what() << '\n';
        return EXIT_USAGE;
    }
    client->set_subscriptions(topics);

    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (!ec) finish();
    });
    boost::asio::steady_timer deadline(io);
    if (o.duration_s > 0) {
        deadline.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::duration<double>(o.duration_s)));
        deadline.async_wait([&](const boost::system::error_code& ec) {
            if (!ec) finish();
        });
    }

    client->start();
    io.run();
    client.reset();
    spdlog::info("record: {} message(s) written to {}", written, o.out == "-" ? "stdout" : o.out);
    return write_failed ? EXIT_RUNTIME : EXIT_OK;
}

}  // namespace hypnic::app
