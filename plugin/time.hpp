// Instants, local civil dates and the time-zone interface the pure core sees.
#pragma once

#include <chrono>
#include <string>

namespace hypnic {

/// An instant as Unix seconds (UTC), fractional. Every time in the core is one of these.
using UnixS = double;

/// A local civil date (the date a night is named after).
using LocalDate = std::chrono::year_month_day;

/// Converts between instants and local civil time. The core never reads a clock or a tz database;
/// adapters implement this with IANA data, tests use FixedZone.
class Zone {
public:
    virtual ~Zone() = default;
    /// Offset of local time from UTC at instant t, in seconds (east positive).
    virtual int offset_s(UnixS t) const = 0;
    /// The instant at which the local wall clock shows `date` + `sec_of_day` seconds.
    /// In a spring-forward gap: the first valid instant after the gap. In a repeated hour: the
    /// earlier of the two instants.
    virtual UnixS to_instant(LocalDate date, int sec_of_day) const = 0;
    /// The zone's name, e.g. "Europe/Berlin".
    virtual std::string name() const = 0;
};

/// A zone with a constant offset (UTC by default): for tests and for `score`.
class FixedZone final : public Zone {
public:
    explicit FixedZone(int offset_s = 0, std::string name = "UTC");
    int offset_s(UnixS t) const override;
    UnixS to_instant(LocalDate date, int sec_of_day) const override;
    std::string name() const override;

private:
    int offset_s_;
    std::string name_;
};

/// The local date at instant t in zone z.
LocalDate local_date(UnixS t, const Zone& z);
/// Seconds since local midnight at instant t in zone z (0 <= s < 86400 except on DST days' edges).
double local_seconds_of_day(UnixS t, const Zone& z);
/// "2026-11-25T22:41:03.120+01:00": ISO-8601 with milliseconds and the zone's offset at t.
std::string format_iso(UnixS t, const Zone& z);
/// "2026-11-25".
std::string format_date(LocalDate d);
/// Parses "YYYY-MM-DD"; false if malformed or not a real date.
bool parse_date(const std::string& s, LocalDate& out);
/// Parses ISO-8601 "2026-11-25T22:41:03[.fff](Z|+01:00)" to Unix seconds; false if malformed.
bool parse_iso(const std::string& s, UnixS& out);

}  // namespace hypnic
