// The daemon applies store.retention_days to the real history file: old movement events go,
// recent ones and nights stay.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <sstream>

#include "adapters/store/sqlite_history.hpp"
#include "tests/integration/broker.hpp"

using namespace hypnic;
using namespace hypnic::test;

TEST_CASE("hypnicd run deletes movement events older than store.retention_days and keeps the rest",
          "[hypnicd][broker][store]") {
    Broker broker;
    TempDir dir;
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    const std::string db = dir.path() + "/hypnic.db";
    {
        SqliteHistory h(db);
        MovementEvent old_event, recent_event;
        old_event.start = now - 40 * 86400.0;
        recent_event.start = now - 2 * 86400.0;
        h.save_event("alex", old_event);
        h.save_event("alex", recent_event);
        NightSummary old_night;
        old_night.night = "2020-01-01";
        h.save_night("alex", old_night);
    }
    std::ostringstream cfg;
    cfg << "version: 1\n"
           "mqtt: {url: tcp://127.0.0.1:" << broker.port() << ", client_id: hypnic-it-retention-" << ::getpid() << "}\n"
           "homeassistant: {enabled: false}\n"
           "timezone: UTC\n"
           "state_dir: " << dir.path() << "\n"
           "store: {retention_days: 30}\n"
           "sleepers:\n"
           "  - id: alex\n"
           "    sensors:\n"
           "      - {kind: accel, topic: bed/alex/accel, format: hypnic}\n";
    const auto path = dir.write("hypnic.yaml", cfg.str());

    TestClient watch(broker.url());
    watch.subscribe("hypnic/status");
    auto d = start_hypnicd({"run", "--config", path});
    INFO(d->err());
    REQUIRE(watch.wait_for("hypnic/status", "online", 15s));
    d->signal(SIGTERM);
    REQUIRE(d->wait(10s) == std::optional<int>(0));

    SqliteHistory h(db, StoreMode::read_only);
    const auto events = h.events_between("alex", 0, now + 1);
    REQUIRE(events.size() == 1);
    CHECK(events[0].start == Approx(now - 2 * 86400.0));
    CHECK(h.recent_nights("alex", 10).size() == 1);
    CHECK(d->err().find("removed 1 movement event(s) older than 30 days") != std::string::npos);
}
