// IANA time zones (date/tz over the system's tzdata) behind the core's Zone interface.
#pragma once

#include <memory>
#include <string>

#include "plugin/time.hpp"

namespace hypnic {

/// The zone `name` ("Europe/Berlin"), or the system's zone when `name` is empty.
/// Throws std::runtime_error naming the zone when it is unknown.
std::unique_ptr<Zone> make_zone(const std::string& name);

}  // namespace hypnic
