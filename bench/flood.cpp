// hypnic_flood: publishes a capture's messages to a broker as fast as QoS allows (the live-ingest benchmark's load).
#include <mqtt/async_client.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <iostream>
#include <unistd.h>
#include <string>
#include <vector>

#include "adapters/capture.hpp"

namespace {

constexpr std::size_t MAX_OUTSTANDING = 2000;  // QoS 1 publications in flight before waiting

int usage() {
    std::cerr << "usage: hypnic_flood URL CAPTURE [--only TOPIC] [--ids N] [--limit M] [--qos Q]\n"
                 "  Publishes the payloads of CAPTURE (JSON Lines) in order. --only keeps one topic;\n"
                 "  --ids N sends every line once per sleeper s0..s<N-1>, replacing 'alex' in the topic.\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) return usage();
    const std::string url = argv[1];
    const std::string path = argv[2];
    std::string only;
    long ids = 0, limit = -1;
    int qos = 1;
    for (int i = 3; i + 1 < argc; i += 2) {
        const std::string k = argv[i];
        const char* v = argv[i + 1];
        if (k == "--only") only = v;
        else if (k == "--ids") ids = std::atol(v);
        else if (k == "--limit") limit = std::atol(v);
        else if (k == "--qos") qos = std::atoi(v);
        else return usage();
    }
    std::ifstream in(path);
    if (!in) {
        std::cerr << "hypnic_flood: cannot read " << path << "\n";
        return 1;
    }
    // Everything is read first so that the timed part only publishes.
    std::vector<hypnic::CaptureLine> lines;
    hypnic::CaptureReader reader(in, path);
    hypnic::CaptureLine l;
    std::string err;
    for (;;) {
        const auto st = reader.next(l, err);
        if (st == hypnic::CaptureReader::Status::end) break;
        if (st != hypnic::CaptureReader::Status::ok) continue;
        if (!only.empty() && l.topic != only) continue;
        lines.push_back(l);
        if (limit >= 0 && static_cast<long>(lines.size()) >= limit) break;
    }
    try {
        // paho refuses more than maxBufferedMessages (default 100) unsent publications.
        mqtt::async_client cli(url, "hypnic-flood-" + std::to_string(::getpid()),
                               mqtt::create_options(MQTTVERSION_DEFAULT, 2 * static_cast<int>(MAX_OUTSTANDING)),
                               static_cast<mqtt::iclient_persistence*>(nullptr));
        mqtt::connect_options co;
        co.set_clean_session(true);
        cli.connect(co)->wait();
        std::deque<mqtt::delivery_token_ptr> pending;
        std::size_t sent = 0;
        const auto t0 = std::chrono::steady_clock::now();
        const auto send = [&](const std::string& topic, const std::string& payload) {
            pending.push_back(cli.publish(topic, payload.data(), payload.size(), qos, false));
            ++sent;
            while (pending.size() > MAX_OUTSTANDING) {
                pending.front()->wait();
                pending.pop_front();
            }
        };
        for (const auto& line : lines) {
            if (ids <= 0) {
                send(line.topic, line.payload);
                continue;
            }
            const auto at = line.topic.find("alex");
            for (long k = 0; k < ids; ++k) {
                std::string t = line.topic;
                if (at != std::string::npos) t.replace(at, 4, "s" + std::to_string(k));
                send(t, line.payload);
            }
        }
        for (auto& t : pending) t->wait();
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        cli.disconnect()->wait();
        std::printf("published %zu messages in %.3f s (%.0f msg/s)\n", sent, s, s > 0 ? static_cast<double>(sent) / s : 0.0);
    } catch (const mqtt::exception& e) {
        std::cerr << "hypnic_flood: " << url << ": " << e.what() << "\n";
        return 1;
    }
    return 0;
}
