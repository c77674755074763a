// Civil dates and ISO-8601 formatting in the pure core.
#include <catch2/catch.hpp>

#include "plugin/time.hpp"

using namespace hypnic;

TEST_CASE("format_iso prints milliseconds and the zone's offset") {
    const FixedZone berlin_winter(3600, "CET");
    // 2026-11-25T21:41:03.120Z
    const UnixS t = 1795642863.12;
    CHECK(format_iso(t, berlin_winter) == "2026-11-25T22:41:03.120+01:00");
    CHECK(format_iso(t, FixedZone()) == "2026-11-25T21:41:03.120+00:00");
    CHECK(format_iso(t, FixedZone(-5 * 3600, "EST")) == "2026-11-25T16:41:03.120-05:00");
}

TEST_CASE("format_iso never prints 60 seconds when rounding") {
    CHECK(format_iso(59.9996, FixedZone()) == "1970-01-01T00:01:00.000+00:00");
}

TEST_CASE("local_date names the evening across midnight by the zone") {
    const FixedZone z(3600);
    LocalDate d;
    REQUIRE(parse_date("2026-11-25", d));
    const UnixS evening = z.to_instant(d, 22 * 3600 + 30 * 60);
    CHECK(format_date(local_date(evening, z)) == "2026-11-25");
    CHECK(format_date(local_date(evening + 2 * 3600, z)) == "2026-11-26");
    CHECK(local_seconds_of_day(evening, z) == Approx(22.5 * 3600));
}

TEST_CASE("parse_iso round-trips and rejects hostile strings") {
    UnixS t = 0;
    REQUIRE(parse_iso("2026-11-25T22:41:03.120+01:00", t));
    CHECK(t == Approx(1795642863.12));
    REQUIRE(parse_iso("2026-11-25T21:41:03Z", t));
    CHECK(t == Approx(1795642863.0));
    for (const char* bad : {"", "2026-11-25", "2026-13-25T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-25T25:00:00Z",
                            "2026-11-25T22:41:03", "2026-11-25T22:41:03+1", "2026-11-25T22:41:03.Z",
                            "2026-11-25T22:41:03Zjunk", "abcd-ef-ghTij:kl:mnZ"}) {
        INFO(bad);
        CHECK_FALSE(parse_iso(bad, t));
    }
}

TEST_CASE("parse_date rejects impossible dates") {
    LocalDate d;
    CHECK(parse_date("2024-02-29", d));
    CHECK_FALSE(parse_date("2025-02-29", d));
    CHECK_FALSE(parse_date("2025-1-01", d));
    CHECK_FALSE(parse_date("2025-01-01x", d));
}
