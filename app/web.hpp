// The daemon's live web view: routes of the night report over the SQLite history the daemon keeps.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "adapters/store/sqlite_history.hpp"
#include "adapters/web/server.hpp"
#include "config/config.hpp"
#include "plugin/plugin.hpp"
#include "plugin/time.hpp"

namespace hypnic::app {

/// Where the pages get their data; called on the daemon's thread for every request, so that a
/// reload's new configuration and zone are used at once.
struct WebSources {
    std::function<const Config&()> config;
    std::function<const Zone&()> zone;
    std::function<SqliteHistory&()> history;  ///< read only (the advice is rebuilt through History&)
    std::function<UnixS()> now;
    /// The running core's open night of a sleeper (Plugin::night_so_far); may be empty (no core).
    std::function<std::optional<NightSoFar>(const std::string& sleeper)> night_so_far;
};

/// The pages (all URLs relative, so they work under Home Assistant ingress):
///   ./ and ./index.html  tonight so far (phases, lights-out, onset, minutes and events while the night
///                        is open; the closed night once it has closed), the trend and advice; refreshes itself
///   ./night.svg          tonight's chart alone
///   ./api/night.json     {"version","phase","generated"}: the page reloads when version changes
///   ./healthz            "ok"
/// `?sleeper=<id>` picks a configured sleeper (default: the first). Anything else is 404.
web::Handler make_web_handler(WebSources sources);

}  // namespace hypnic::app
