// Typed core outputs → MQTT publications: topics, retain flags and JSON payloads of contract §4.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plugin/params.hpp"
#include "plugin/time.hpp"
#include "plugin/types.hpp"

namespace hypnic {

// Payload bodies, exposed for golden tests and for tools. Times are ISO-8601 in `zone`.
std::string render_event(const MovementEvent& e, const Zone& zone);
std::string render_state(const LiveState& s, const Zone& zone);
std::string render_night(const NightSummary& n, const Zone& zone);
std::string render_advice(const Advice& a, const Zone& zone);
std::string render_winddown(const WinddownTrigger& w, const Zone& zone);
std::string render_winddown_next(const WinddownNext& w, const Zone& zone);

/// The MQTT messages that carry `cmd` to `light` (one for most protocols; Tasmota may need a
/// colour-temperature and a dimmer command). `rpc_id` numbers Shelly RPC requests. Never retained.
std::vector<Publication> render_light_command(const LightCommand& cmd, const LightSpec& light, UnixS ts,
                                              std::uint64_t rpc_id);

/// Renders outputs for all sleepers of one configuration. Holds the Shelly RPC request counter,
/// so a replay numbers requests the same way every time.
class Renderer {
public:
    /// `base_topic` is the root of hypnic's topics ("hypnic"); `params` and `zone` must outlive this.
    Renderer(std::string base_topic, const PluginParams& params, const Zone& zone);

    /// Appends the publications for `out` stamped `ts`. An output for an unknown sleeper or light
    /// index produces nothing (the core never makes one; this keeps a bug from crashing the daemon).
    void render(const Output& out, UnixS ts, std::vector<Publication>& pubs);

    /// `<base>/<sleeper id>/<leaf>`.
    std::string topic(std::size_t sleeper, std::string_view leaf) const;

private:
    std::string base_;
    const PluginParams& params_;
    const Zone& zone_;
    std::uint64_t rpc_seq_ = 0;
};

}  // namespace hypnic
