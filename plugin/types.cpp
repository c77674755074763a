// Spellings of the contract's closed vocabularies.
#include "plugin/types.hpp"

namespace hypnic {

namespace {
template <typename E, std::size_t N>
std::optional<E> lookup(std::string_view s, const std::array<std::string_view, N>& names) {
    for (std::size_t i = 0; i < N; ++i)
        if (names[i] == s) return static_cast<E>(i);
    return std::nullopt;
}
constexpr std::array<std::string_view, 5> PHASES = {"out_of_bed", "awake_in_bed", "settling", "asleep", "waking"};
constexpr std::array<std::string_view, 4> MOVEMENTS = {"twitch", "limb_movement", "large_movement", "plm_series"};
constexpr std::array<std::string_view, 5> FACTORS = {"caffeine", "exercise", "stress", "magnesium", "discomfort"};
constexpr std::array<std::string_view, 7> STAGES = {"caffeine_cutoff", "exercise_cutoff", "dim_lights", "relax",
                                                    "lights_out", "caffeine_reminder", "exercise_reminder"};
}  // namespace

std::string_view to_string(Phase p) { return PHASES[static_cast<std::size_t>(p)]; }
std::string_view to_string(MovementType t) { return MOVEMENTS[static_cast<std::size_t>(t)]; }
std::string_view to_string(Factor f) { return FACTORS[static_cast<std::size_t>(f)]; }
std::string_view to_string(Stage s) { return STAGES[static_cast<std::size_t>(s)]; }
std::optional<Phase> phase_from_string(std::string_view s) { return lookup<Phase>(s, PHASES); }
std::optional<MovementType> movement_type_from_string(std::string_view s) { return lookup<MovementType>(s, MOVEMENTS); }
std::optional<Factor> factor_from_string(std::string_view s) { return lookup<Factor>(s, FACTORS); }
std::optional<Stage> stage_from_string(std::string_view s) { return lookup<Stage>(s, STAGES); }

}  // namespace hypnic
