// Turns simulated readings into the MQTT payloads real devices send, and the truth into JSON Lines.
#pragma once

#include <string>

#include "adapters/capture.hpp"
#include "plugin/simulate/simulate.hpp"
#include "plugin/types.hpp"

namespace hypnic {

/// Topics of a simulated home (docs/detection.md, "Simulated nights").
struct SimTopics {
    std::string accel;          ///< bed/<sleeper>/accel          (accel / hypnic)
    std::string partner_accel;  ///< bed/<sleeper>_partner/accel  (accel / hypnic, partner: true)
    std::string presence;       ///< bed/<sleeper>/presence       (presence / plain: ON | OFF)
    std::string light;          ///< zigbee2mqtt/bedroom_light    (lights / json, value /state)
    std::string log_prefix;     ///< <base>/<sleeper>/log/        (+ factor name)
};
SimTopics sim_topics(const std::string& sleeper, const std::string& base_topic = "hypnic");

/// `{"t0":<unix s>,"hz":50,"xyz":[[x,y,z],...]}`: g rounded to 4 decimals (0.1 mg), t0 exact.
std::string encode_accel(const AccelBatch& b);
/// `ON` / `OFF`.
std::string encode_presence(const PresenceReading& r);
/// zigbee2mqtt light state: `{"state":"OFF"}` or `{"state":"ON","brightness":0..254}`.
std::string encode_light(const LightReading& r);
/// Built-in log topic payload: `{"ts":<unix s>,"amount":<number>}`.
std::string encode_factor_log(const FactorLog& f);
/// One capture line (arrival time, topic, payload) for a simulated message.
CaptureLine encode_sim_message(const sim::SimMessage& m, const SimTopics& topics);

/// `{"type":"twitch","start":..,"duration_s":..,"peak":..,"phase":..,"onset_window":..,"gravity_shift":..,"plm":..}`
std::string encode_truth_event(const sim::TrueEvent& e);
/// `{"night":"2026-11-25","in_bed":..,"lights_out":..,"sleep_onset":..,"out_of_bed":..,"onset_twitches":n,
/// "plm_index":..,"twitch_heavy":bool,"factors":{...},...}`; times are Unix seconds.
std::string encode_truth_night(const sim::TrueNight& n);

}  // namespace hypnic
