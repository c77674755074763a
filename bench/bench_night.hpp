// Shared input of the micro-benchmarks: one simulated night's messages and the sensors that carry them.
#pragma once

#include <cstdint>
#include <vector>

#include "plugin/params.hpp"
#include "plugin/simulate/simulate.hpp"
#include "plugin/types.hpp"

namespace hypnic::bench {

/// Every message of one simulated 9.5-hour night at `hz` (3-axis accel in 1-s batches, presence,
/// lights, logs), generated once per rate and kept for the process's life.
const std::vector<sim::SimMessage>& night_messages(double hz);

/// The sensors of tests/data/sim/hypnic.yaml in the order night_messages' channels map to.
SleeperParams sim_sleeper();

/// The sensor index of a simulated channel in sim_sleeper() (SIZE_MAX for factor logs).
std::size_t sensor_of(sim::Channel c);

/// The accel batches of night_messages(hz) only.
std::vector<AccelBatch> accel_batches(double hz);

}  // namespace hypnic::bench
