// Renders the entity table into Home Assistant discovery publications and plans removals.
#include "adapters/homeassistant/discovery.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cmath>
#include <set>
#include <utility>

#include "adapters/json_out.hpp"

namespace hypnic::ha {

namespace {

constexpr std::size_t MAX_ID_CHARS = 64;
constexpr std::string_view ONLINE = "online";
constexpr std::string_view OFFLINE = "offline";
constexpr std::string_view WINDOW_PLACEHOLDER = "{window_s}";

std::string node_id(std::string_view sleeper) { return "hypnic_" + std::string(sleeper); }

bool is_object_id(std::string_view id) {
    if (id.empty() || id.size() > MAX_ID_CHARS) return false;
    for (char c : id)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

bool is_valid_topic(std::string_view t) {
    if (t.empty() || t.front() == '/' || t.back() == '/') return false;
    if (t.find("//") != std::string_view::npos) return false;
    for (char c : t) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '+' || c == '#' || u < 0x20 || u == 0x7F) return false;
    }
    return true;
}

std::string quoted(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}

// The row's value template with the sleeper's values filled in.
std::string value_template_for(const EntitySpec& row, const DiscoverySleeper& s) {
    std::string tpl = row.value_template;
    if (const auto at = tpl.find(WINDOW_PLACEHOLDER); at != std::string::npos) {
        const double window_s = std::isfinite(s.heavy_trigger_window_s) && s.heavy_trigger_window_s > 0
                                    ? s.heavy_trigger_window_s
                                    : DiscoverySleeper{}.heavy_trigger_window_s;
        tpl.replace(at, WINDOW_PLACEHOLDER.size(), std::to_string(std::llround(window_s)));
    }
    return tpl;
}

void write_strings(JsonWriter& w, std::string_view key, const std::vector<std::string>& values) {
    w.key(key).begin_array();
    for (const auto& v : values) w.value(v);
    w.end_array();
}

void write_device(JsonWriter& w, const DiscoveryOptions& o, const DiscoverySleeper& s) {
    w.key("dev").begin_object();
    w.key("ids").begin_array().value(node_id(s.id)).end_array();
    w.key("name").value("hypnic " + (s.name.empty() ? s.id : s.name));
    w.key("mf").value(MANUFACTURER);
    w.key("mdl").value(MODEL);
    if (!o.sw_version.empty()) w.key("sw").value(o.sw_version);
    w.end_object();
}

void write_origin(JsonWriter& w, const DiscoveryOptions& o) {
    w.key("o").begin_object();
    w.key("name").value("hypnic");
    if (!o.sw_version.empty()) w.key("sw").value(o.sw_version);
    w.key("url").value(SUPPORT_URL);
    w.end_object();
}

void write_availability(JsonWriter& w, const DiscoveryOptions& o) {
    w.key("avty_t").value(o.base_topic + "/status");
    w.key("pl_avail").value(ONLINE);
    w.key("pl_not_avail").value(OFFLINE);
}

// One row's own options (everything but device, origin, availability and qos).
void write_row(JsonWriter& w, const EntitySpec& row, const DiscoveryOptions& o, const DiscoverySleeper& s,
               bool with_platform) {
    const auto topic = [&](Source src) { return sleeper_topic(o.base_topic, s.id, topic_suffix(src)); };
    if (with_platform) w.key("p").value(to_string(row.platform));
    if (!is_entity(row.platform)) {
        w.key("atype").value("trigger");
        w.key("t").value(topic(row.state_source));
        w.key("type").value(row.trigger_type);
        w.key("stype").value(row.trigger_subtype);
        w.key("pl").value(row.trigger_payload);
        w.key("val_tpl").value(value_template_for(row, s));
        return;
    }
    w.key("name").value(row.name);
    w.key("uniq_id").value(node_id(s.id) + "_" + row.object_id);
    if (!row.device_class.empty()) w.key("dev_cla").value(row.device_class);
    if (!row.state_class.empty()) w.key("stat_cla").value(row.state_class);
    if (!row.unit.empty()) w.key("unit_of_meas").value(row.unit);
    if (row.display_precision) w.key("sug_dsp_prc").value(*row.display_precision);
    if (!row.icon.empty()) w.key("ic").value(row.icon);
    if (!row.entity_category.empty()) w.key("ent_cat").value(row.entity_category);
    if (row.state_source != Source::none) {
        w.key("stat_t").value(topic(row.state_source));
        if (!row.value_template.empty()) w.key("val_tpl").value(value_template_for(row, s));
    }
    if (row.attributes_source != Source::none) {
        w.key("json_attr_t").value(topic(row.attributes_source));
        if (!row.attributes_template.empty()) w.key("json_attr_tpl").value(row.attributes_template);
    }
    if (!row.options.empty()) write_strings(w, "ops", row.options);
    if (!row.event_types.empty()) write_strings(w, "evt_typ", row.event_types);
    if (!row.command_suffix.empty()) {
        w.key("cmd_t").value(sleeper_topic(o.base_topic, s.id, row.command_suffix));
        // Commands are never retained: a retained command would replay on every reconnect.
        w.key("ret").value(false);
    }
    if (row.payload_press) w.key("pl_prs").value(*row.payload_press);
    if (!row.payload_on.empty()) w.key("pl_on").value(row.payload_on);
    if (!row.payload_off.empty()) w.key("pl_off").value(row.payload_off);
    if (row.min) w.key("min").number(*row.min, 3);
    if (row.max) w.key("max").number(*row.max, 3);
    if (row.step) w.key("step").number(*row.step, 3);
}

std::string render_device_config(const DiscoveryOptions& o, const DiscoverySleeper& s,
                                 const std::vector<std::pair<Platform, std::string>>& removed_rows) {
    JsonWriter w;
    w.begin_object();
    write_device(w, o, s);
    write_origin(w, o);
    write_availability(w, o);
    w.key("qos").value(o.qos);
    w.key("cmps").begin_object();
    for (const EntitySpec& row : entity_table()) {
        w.key(row.object_id).begin_object();
        write_row(w, row, o, s, true);
        w.end_object();
    }
    // A component reduced to its platform tells Home Assistant to remove it from the device.
    for (const auto& [platform, object_id] : removed_rows)
        w.key(object_id).begin_object().key("p").value(to_string(platform)).end_object();
    w.end_object();
    w.end_object();
    return w.take();
}

std::string render_entity_config(const DiscoveryOptions& o, const DiscoverySleeper& s, const EntitySpec& row) {
    JsonWriter w;
    w.begin_object();
    write_device(w, o, s);
    write_origin(w, o);
    if (is_entity(row.platform)) write_availability(w, o);
    w.key("qos").value(o.qos);
    write_row(w, row, o, s, false);
    w.end_object();
    return w.take();
}

bool in_table(Platform p, std::string_view object_id) {
    for (const EntitySpec& row : entity_table())
        if (row.platform == p && row.object_id == object_id) return true;
    return false;
}

bool id_in_table(std::string_view object_id) {
    for (const EntitySpec& row : entity_table())
        if (row.object_id == object_id) return true;
    return false;
}

std::string announced_topic(const AnnouncedEntity& e) {
    return e.device_form ? device_config_topic(e.prefix, e.sleeper)
                         : entity_config_topic(e.prefix, e.platform, e.sleeper, e.object_id);
}

// Collects publications, each topic at most once per kind, in the order they are added.
class Emitter {
public:
    Emitter(const DiscoveryOptions& o, double now_s) : o_(o), now_s_(now_s) {}
    void config(std::string topic, std::string payload) { push(std::move(topic), std::move(payload)); }
    void migrate(const std::string& topic) {
        if (migrated_.insert(topic).second) push(topic, std::string(MIGRATE_PAYLOAD));
    }
    void clear(const std::string& topic) {
        if (cleared_.insert(topic).second) push(topic, "");
    }
    std::vector<Publication> take() { return std::move(out_); }

private:
    void push(std::string topic, std::string payload) {
        Publication p;
        p.ts = now_s_;
        p.topic = std::move(topic);
        p.payload = std::move(payload);
        p.retain = true;
        p.qos = o_.qos;
        out_.push_back(std::move(p));
    }
    const DiscoveryOptions& o_;
    double now_s_;
    std::set<std::string> migrated_, cleared_;
    std::vector<Publication> out_;
};

}  // namespace

bool is_valid_sleeper_id(std::string_view id) {
    if (id.empty() || id.size() > MAX_ID_CHARS) return false;
    for (char c : id)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
    return true;
}

bool is_valid_topic_prefix(std::string_view prefix) { return is_valid_topic(prefix); }

std::string entity_config_topic(std::string_view prefix, Platform p, std::string_view sleeper,
                                std::string_view object_id) {
    std::string t(prefix);
    t.append("/").append(to_string(p)).append("/").append(node_id(sleeper)).append("/").append(object_id);
    t.append("/config");
    return t;
}

std::string device_config_topic(std::string_view prefix, std::string_view sleeper) {
    std::string t(prefix);
    t.append("/device/").append(node_id(sleeper)).append("/config");
    return t;
}

DiscoveryOptions make_discovery_options(const HomeAssistantOptions& ha, const PluginParams& params,
                                        std::string sw_version) {
    DiscoveryOptions o;
    o.enabled = ha.enabled;
    o.discovery_prefix = ha.discovery_prefix;
    o.device_discovery = ha.device_discovery;
    o.base_topic = params.base_topic;
    o.sw_version = std::move(sw_version);
    for (const SleeperParams& sp : params.sleepers) {
        DiscoverySleeper s;
        s.id = sp.id;
        s.name = sp.name.empty() ? sp.id : sp.name;
        s.heavy_trigger_window_s = sp.night.bathroom_trip_max_min * 60 + 3600;
        o.sleepers.push_back(std::move(s));
    }
    return o;
}

DiscoveryPlan plan_discovery(const DiscoveryOptions& o, const std::vector<AnnouncedEntity>& previous, double now_s) {
    DiscoveryPlan plan;
    // Broken options publish nothing and keep the old announcements: clearing them because of a
    // typo would delete the user's entities and their history.
    if (!is_valid_topic(o.discovery_prefix))
        plan.errors.push_back("homeassistant.discovery_prefix: " + quoted(o.discovery_prefix) +
                              " is not a valid topic prefix (no wildcards, empty levels or control characters)");
    if (!is_valid_topic(o.base_topic))
        plan.errors.push_back("mqtt.base_topic: " + quoted(o.base_topic) +
                              " is not a valid topic prefix (no wildcards, empty levels or control characters)");
    if (o.qos < 0 || o.qos > 2)
        plan.errors.push_back("discovery qos: " + std::to_string(o.qos) + " is not 0, 1 or 2");
    if (!plan.errors.empty()) {
        plan.announced = previous;
        return plan;
    }

    std::vector<const DiscoverySleeper*> sleepers;
    if (o.enabled) {
        std::set<std::string> seen;
        for (std::size_t i = 0; i < o.sleepers.size(); ++i) {
            const DiscoverySleeper& s = o.sleepers[i];
            const std::string where = "sleepers[" + std::to_string(i) + "].id: ";
            if (!is_valid_sleeper_id(s.id)) {
                plan.errors.push_back(where + quoted(s.id) +
                                      " is not a valid id ([a-z0-9_-], 1 to 64 characters); not announced");
            } else if (!seen.insert(s.id).second) {
                plan.errors.push_back(where + quoted(s.id) + " is announced already; the duplicate is skipped");
            } else {
                sleepers.push_back(&s);
            }
        }
    }

    std::vector<AnnouncedEntity> valid_previous;
    for (std::size_t i = 0; i < previous.size(); ++i) {
        const AnnouncedEntity& e = previous[i];
        if (!is_valid_topic(e.prefix) || !is_valid_sleeper_id(e.sleeper) || !is_object_id(e.object_id)) {
            plan.errors.push_back("announced[" + std::to_string(i) + "]: prefix " + quoted(e.prefix) + ", sleeper " +
                                  quoted(e.sleeper) + ", object id " + quoted(e.object_id) +
                                  " cannot form a discovery topic; not cleared");
            continue;
        }
        valid_previous.push_back(e);
    }

    Emitter emit(o, now_s);
    std::set<std::string> kept;  // sleepers announced now (under the current prefix)
    for (const DiscoverySleeper* s : sleepers) {
        kept.insert(s->id);
        std::vector<AnnouncedEntity> mine, other_form;
        for (const AnnouncedEntity& e : valid_previous) {
            if (e.prefix != o.discovery_prefix || e.sleeper != s->id) continue;
            (e.device_form == o.device_discovery ? mine : other_form).push_back(e);
        }
        // 1. Hand the old form over so that the entities survive the switch.
        for (const AnnouncedEntity& e : other_form) emit.migrate(announced_topic(e));
        // 2. The configs.
        if (o.device_discovery) {
            std::vector<std::pair<Platform, std::string>> removed;
            std::set<std::string> removed_ids;
            for (const AnnouncedEntity& e : mine)
                if (!id_in_table(e.object_id) && removed_ids.insert(e.object_id).second)
                    removed.emplace_back(e.platform, e.object_id);
            emit.config(device_config_topic(o.discovery_prefix, s->id), render_device_config(o, *s, removed));
        } else {
            for (const EntitySpec& row : entity_table())
                emit.config(entity_config_topic(o.discovery_prefix, row.platform, s->id, row.object_id),
                            render_entity_config(o, *s, row));
            for (const AnnouncedEntity& e : mine)
                if (!in_table(e.platform, e.object_id)) emit.clear(announced_topic(e));
        }
        // 3. Clear the old form (after the new config, so Home Assistant moves the entities).
        for (const AnnouncedEntity& e : other_form) emit.clear(announced_topic(e));
        for (const EntitySpec& row : entity_table())
            plan.announced.push_back({o.discovery_prefix, s->id, row.platform, row.object_id, o.device_discovery});
    }
    // 4. Everything else announced before is gone from the configuration.
    for (const AnnouncedEntity& e : valid_previous)
        if (e.prefix != o.discovery_prefix || kept.count(e.sleeper) == 0) emit.clear(announced_topic(e));

    plan.publications = emit.take();
    return plan;
}

std::string announced_to_json(const std::vector<AnnouncedEntity>& announced) {
    JsonWriter w;
    w.begin_array();
    for (const AnnouncedEntity& e : announced) {
        w.begin_object();
        w.key("prefix").value(e.prefix);
        w.key("sleeper").value(e.sleeper);
        w.key("platform").value(to_string(e.platform));
        w.key("object_id").value(e.object_id);
        w.key("device").value(e.device_form);
        w.end_object();
    }
    w.end_array();
    return w.take();
}

AnnouncedParse parse_announced(std::string_view json, std::size_t max_bytes) {
    AnnouncedParse r;
    if (json.size() > max_bytes) {
        r.errors.push_back("announced: " + std::to_string(json.size()) + " bytes exceed the limit of " +
                           std::to_string(max_bytes));
        return r;
    }
    boost::system::error_code ec;
    boost::json::parse_options opts;
    opts.max_depth = 8;
    const boost::json::value doc = boost::json::parse(boost::json::string_view(json.data(), json.size()), ec,
                                                      boost::json::storage_ptr(), opts);
    if (ec) {
        r.errors.push_back("announced: not JSON (" + ec.message() + ")");
        return r;
    }
    const auto* list = doc.if_array();
    if (list == nullptr) {
        r.errors.push_back("announced: expected a JSON array of entries");
        return r;
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string where = "announced[" + std::to_string(i) + "]";
        const auto* obj = (*list)[i].if_object();
        if (obj == nullptr) {
            r.errors.push_back(where + ": expected an object");
            continue;
        }
        const auto text = [&](const char* key, std::string& out) {
            const auto* v = obj->if_contains(key);
            if (v == nullptr || !v->is_string()) {
                r.errors.push_back(where + "." + key + ": missing or not a string");
                return false;
            }
            out.assign(v->get_string().data(), v->get_string().size());
            return true;
        };
        AnnouncedEntity e;
        std::string platform;
        if (!text("prefix", e.prefix) || !text("sleeper", e.sleeper) || !text("platform", platform) ||
            !text("object_id", e.object_id))
            continue;
        const auto* device = obj->if_contains("device");
        if (device == nullptr || !device->is_bool()) {
            r.errors.push_back(where + ".device: missing or not true/false");
            continue;
        }
        e.device_form = device->get_bool();
        const auto p = platform_from_string(platform);
        if (!p) {
            r.errors.push_back(where + ".platform: " + quoted(platform) + " is not a platform hypnic announces");
            continue;
        }
        e.platform = *p;
        if (!is_valid_topic(e.prefix)) {
            r.errors.push_back(where + ".prefix: " + quoted(e.prefix) + " is not a valid topic prefix");
            continue;
        }
        if (!is_valid_sleeper_id(e.sleeper)) {
            r.errors.push_back(where + ".sleeper: " + quoted(e.sleeper) + " is not a valid sleeper id");
            continue;
        }
        if (!is_object_id(e.object_id)) {
            r.errors.push_back(where + ".object_id: " + quoted(e.object_id) + " is not a valid object id");
            continue;
        }
        r.announced.push_back(std::move(e));
    }
    return r;
}

}  // namespace hypnic::ha
