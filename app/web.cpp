// The live web view's routes: tonight's report page, its chart and the poll endpoint.
#include "app/web.hpp"

#include <algorithm>

#include "adapters/report/collect.hpp"
#include "adapters/report/report.hpp"

namespace hypnic::app {

namespace {

web::Response text(int status, std::string body) {
    return web::Response{status, "text/plain; charset=utf-8", std::move(body)};
}

}  // namespace

web::Handler make_web_handler(WebSources src) {
    return [src = std::move(src)](const web::Request& r) -> web::Response {
        if (r.path == "/healthz") return text(200, "ok\n");
        // Browsers ask for an icon by themselves; an empty answer keeps a 404 out of their console.
        if (r.path == "/favicon.ico") return web::Response{204, "image/x-icon", ""};
        const bool page = r.path == "/" || r.path == "/index.html";
        const bool svg = r.path == "/night.svg";
        const bool poll = r.path == "/api/night.json";
        if (!page && !svg && !poll) return text(404, "not found\n");

        const Config& cfg = src.config();
        if (cfg.plugin.sleepers.empty()) return text(404, "no sleepers configured\n");
        const SleeperParams* sleeper = &cfg.plugin.sleepers.front();
        if (auto id = web::query_param(r.query, "sleeper")) {
            auto it = std::find_if(cfg.plugin.sleepers.begin(), cfg.plugin.sleepers.end(),
                                   [&](const SleeperParams& s) { return s.id == *id; });
            if (it == cfg.plugin.sleepers.end()) return text(404, "no such sleeper\n");
            sleeper = &*it;
        }
        const Zone& zone = src.zone();
        SqliteHistory& history = src.history();
        const UnixS now = src.now();
        const std::optional<NightSoFar> so_far =
            src.night_so_far ? src.night_so_far(sleeper->id) : std::optional<NightSoFar>();
        const report::NightData night = report::tonight(history, sleeper->id, sleeper->night, zone, now, so_far);
        const std::string version = report::night_version(night);
        if (poll) {
            // The phase now while the night is open (the core knows it), "open" before the core has
            // one, "closed" once the night is closed.
            const std::string_view phase =
                !night.open ? std::string_view("closed") : night.phase_now ? to_string(*night.phase_now) : std::string_view("open");
            return web::Response{200, "application/json", report::poll_json(version, phase, now, zone)};
        }
        if (svg) return web::Response{200, "image/svg+xml", report::night_svg(night, zone)};

        report::ReportData d;
        d.sleeper = sleeper->id;
        d.nights = {night};
        d.trend = history.recent_nights(sleeper->id, report::TREND_NIGHTS);
        d.generated = now;
        d.advice = report::current_advice(history, *sleeper, cfg.plugin.language, zone);
        d.version = version;
        d.refresh_s = cfg.web.refresh_s;
        // Relative, and carrying the sleeper along, so that the page polls what it shows.
        d.poll_url = "api/night.json";
        if (sleeper != &cfg.plugin.sleepers.front()) d.poll_url += "?sleeper=" + sleeper->id;
        if (!r.ingress_path.empty()) d.base_href = r.ingress_path + "/";
        return web::Response{200, "text/html; charset=utf-8", report::report_html(d, zone)};
    };
}

}  // namespace hypnic::app
