// IANA time zones via Howard Hinnant's date/tz (the system tzdata).
#include "adapters/tz.hpp"

#include <date/tz.h>

#include <cmath>
#include <stdexcept>

namespace hypnic {

namespace {

class IanaZone final : public Zone {
public:
    explicit IanaZone(const date::time_zone* tz) : tz_(tz) {}

    int offset_s(UnixS t) const override {
        const auto tp = date::sys_seconds(std::chrono::seconds(static_cast<long long>(std::floor(t))));
        return static_cast<int>(tz_->get_info(tp).offset.count());
    }

    UnixS to_instant(LocalDate d, int sec_of_day) const override {
        const auto local = date::local_seconds(date::local_days(date::year_month_day(
                               date::year(static_cast<int>(d.year())), date::month(static_cast<unsigned>(d.month())),
                               date::day(static_cast<unsigned>(d.day()))))) +
                           std::chrono::seconds(sec_of_day);
        const auto info = tz_->get_info(local);
        switch (info.result) {
            case date::local_info::unique:
                return static_cast<double>((local - info.first.offset).time_since_epoch().count());
            case date::local_info::ambiguous:
                // A repeated hour: the earlier instant (still in the first offset).
                return static_cast<double>((local - info.first.offset).time_since_epoch().count());
            case date::local_info::nonexistent:
            default:
                // A spring-forward gap: the first valid instant after it is the transition itself.
                return static_cast<double>(info.second.begin.time_since_epoch().count());
        }
    }

    std::string name() const override { return std::string(tz_->name()); }

private:
    const date::time_zone* tz_;
};

}  // namespace

std::unique_ptr<Zone> make_zone(const std::string& name) {
    try {
        const date::time_zone* tz = name.empty() ? date::current_zone() : date::locate_zone(name);
        return std::make_unique<IanaZone>(tz);
    } catch (const std::exception& e) {
        throw std::runtime_error("unknown time zone '" + (name.empty() ? std::string("<system>") : name) +
                                 "': " + e.what());
    }
}

}  // namespace hypnic
