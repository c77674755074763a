// Epoch sleep/wake scorers (Cole-Kripke, Sadeh, Oakley) and Tudor-Locke sleep periods.
#include "plugin/score/score.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

namespace hypnic::score {
namespace {

/// The count of epoch `i` as the windows see it: 0 beyond the ends and where the count is missing
/// (or not a finite, non-negative number).
double window_count(const Counts& c, std::ptrdiff_t i) {
    if (i < 0 || i >= static_cast<std::ptrdiff_t>(c.size())) return 0.0;
    const auto& v = c[static_cast<std::size_t>(i)];
    if (!v || !std::isfinite(*v) || *v < 0) return 0.0;
    return *v;
}

bool usable(const std::optional<double>& v) { return v && std::isfinite(*v) && *v >= 0; }

}  // namespace

std::vector<State> cole_kripke(const Counts& counts_60s) {
    // Cole et al. 1992, 1-min epochs, weights for epochs -4..+2 as ActiLife 6 applies them.
    static constexpr std::array<double, 7> WEIGHTS{106, 54, 58, 76, 230, 74, 67};
    const auto n = static_cast<std::ptrdiff_t>(counts_60s.size());
    std::vector<State> out(counts_60s.size(), State::missing);
    for (std::ptrdiff_t i = 0; i < n; ++i) {
        if (!usable(counts_60s[static_cast<std::size_t>(i)])) continue;
        double weighted = 0;
        for (std::ptrdiff_t k = 0; k < 7; ++k) {
            const double scaled = std::min(window_count(counts_60s, i + k - 4) / 100.0, 300.0);
            weighted += WEIGHTS[static_cast<std::size_t>(k)] * scaled;
        }
        out[static_cast<std::size_t>(i)] = 0.001 * weighted < 1.0 ? State::sleep : State::wake;
    }
    return out;
}

std::vector<State> sadeh(const Counts& counts_60s) {
    const auto n = static_cast<std::ptrdiff_t>(counts_60s.size());
    auto capped = [&](std::ptrdiff_t i) { return std::min(window_count(counts_60s, i), 300.0); };
    std::vector<State> out(counts_60s.size(), State::missing);
    for (std::ptrdiff_t i = 0; i < n; ++i) {
        if (!usable(counts_60s[static_cast<std::size_t>(i)])) continue;
        // AVG and NATS over the centred 11-epoch window, zero-padded: the divisor stays 11 at the ends.
        double sum = 0;
        int nats = 0;
        for (std::ptrdiff_t j = i - 5; j <= i + 5; ++j) {
            const double c = capped(j);
            sum += c;
            if (c >= 50 && c < 100) ++nats;
        }
        const double avg = sum / 11.0;
        // SD of the epoch and the 5 before it, zero-padded, with the n - 1 divisor: the population
        // SD misses 18 of ActiLife's labels in the reference day, the sample SD none.
        double mean6 = 0;
        for (std::ptrdiff_t j = i - 5; j <= i; ++j) mean6 += capped(j);
        mean6 /= 6.0;
        double ss = 0;
        for (std::ptrdiff_t j = i - 5; j <= i; ++j) ss += (capped(j) - mean6) * (capped(j) - mean6);
        const double sd = std::sqrt(ss / 5.0);
        const double ps = 7.601 - 0.065 * avg - 1.08 * nats - 0.056 * sd - 0.703 * std::log(capped(i) + 1.0);
        out[static_cast<std::size_t>(i)] = ps > -4.0 ? State::sleep : State::wake;
    }
    return out;
}

std::vector<double> oakley_weights(double epoch_s) {
    // Actiwatch/Actiware software manual (Respironics), sleep/wake scoring: the window is +-2 min
    // around the epoch at every epoch length; the 120-s weights are the manual's own.
    if (epoch_s == 15) {
        std::vector<double> w(17, 0.0);
        for (int d = -8; d <= 8; ++d) {
            const int a = d < 0 ? -d : d;
            w[static_cast<std::size_t>(d + 8)] = a == 0 ? 4.0 : (a <= 4 ? 1.0 / 5 : 1.0 / 25);
        }
        return w;
    }
    if (epoch_s == 30) return {1.0 / 25, 1.0 / 25, 1.0 / 5, 1.0 / 5, 2.0, 1.0 / 5, 1.0 / 5, 1.0 / 25, 1.0 / 25};
    if (epoch_s == 60) return {1.0 / 25, 1.0 / 5, 1.0, 1.0 / 5, 1.0 / 25};
    if (epoch_s == 120) return {0.12, 0.5, 0.12};
    return {};
}

std::vector<State> oakley(const Counts& counts, double epoch_s, double threshold) {
    const std::vector<double> w = oakley_weights(epoch_s);
    if (w.empty())
        throw std::invalid_argument("oakley: epoch length " + std::to_string(epoch_s) +
                                    " s is not one Actiware defines (15, 30, 60 or 120 s)");
    if (!std::isfinite(threshold) || threshold <= 0)
        throw std::invalid_argument("oakley: threshold must be a finite number > 0, got " +
                                    std::to_string(threshold));
    const auto half = static_cast<std::ptrdiff_t>(w.size() / 2);
    const auto n = static_cast<std::ptrdiff_t>(counts.size());
    std::vector<State> out(counts.size(), State::missing);
    for (std::ptrdiff_t i = 0; i < n; ++i) {
        if (!usable(counts[static_cast<std::size_t>(i)])) continue;
        double total = 0;
        for (std::ptrdiff_t d = -half; d <= half; ++d)
            total += w[static_cast<std::size_t>(d + half)] * window_count(counts, i + d);
        out[static_cast<std::size_t>(i)] = total > threshold ? State::wake : State::sleep;
    }
    return out;
}

Counts sum_epochs(const Counts& counts, std::size_t factor) {
    if (factor == 0) throw std::invalid_argument("sum_epochs: factor must be >= 1");
    Counts out;
    out.reserve(counts.size() / factor + 1);
    for (std::size_t start = 0; start < counts.size(); start += factor) {
        const std::size_t stop = std::min(counts.size(), start + factor);
        std::optional<double> total = 0.0;
        for (std::size_t i = start; i < stop; ++i) {
            if (!usable(counts[i])) {
                total.reset();
                break;
            }
            *total += *counts[i];
        }
        out.push_back(total);
    }
    return out;
}

std::vector<SleepPeriod> tudor_locke(const std::vector<State>& states, const TudorLockeParams& p) {
    return tudor_locke(states, Counts{}, TudorLockeParams{p.onset_sleep_epochs, p.wake_epochs,
                                                          p.min_period_epochs, p.max_period_epochs, 0});
}

std::vector<SleepPeriod> tudor_locke(const std::vector<State>& states, const Counts& counts,
                                     const TudorLockeParams& p) {
    if (!counts.empty() && counts.size() != states.size())
        throw std::invalid_argument("tudor_locke: counts and states differ in length");
    if (p.onset_sleep_epochs < 1 || p.wake_epochs < 1)
        throw std::invalid_argument("tudor_locke: onset_sleep_epochs and wake_epochs must be >= 1");
    const std::size_t n = states.size();
    const auto n_on = static_cast<std::size_t>(p.onset_sleep_epochs);
    const auto m_off = static_cast<std::size_t>(p.wake_epochs);
    // run_s[i]/run_w[i]: length of the run of sleep/wake epochs starting at i.
    std::vector<std::size_t> run_s(n + 1, 0), run_w(n + 1, 0);
    for (std::size_t i = n; i-- > 0;) {
        run_s[i] = states[i] == State::sleep ? run_s[i + 1] + 1 : 0;
        run_w[i] = states[i] == State::wake ? run_w[i + 1] + 1 : 0;
    }
    std::vector<SleepPeriod> out;
    std::size_t i = 0;
    while (i + n_on <= n) {
        if (run_s[i] < n_on) {
            ++i;
            continue;
        }
        const std::size_t onset = i;
        std::size_t end = onset + n_on;
        while (end + m_off <= n && run_w[end] < m_off) ++end;
        // No m wake epochs before the data ends: the period is unfinished and ActiLife does not
        // report it (the reference day's "Custom1" set shows this), and nothing can follow it.
        if (end + m_off > n) break;
        const std::size_t duration = end - onset;
        bool keep = duration >= static_cast<std::size_t>(std::max(p.min_period_epochs, 0)) &&
                    duration <= static_cast<std::size_t>(std::max(p.max_period_epochs, 0));
        if (keep && !counts.empty() && p.min_nonzero_epochs > 0) {
            std::size_t nonzero = 0;
            for (std::size_t k = onset; k < end; ++k)
                if (usable(counts[k]) && *counts[k] > 0) ++nonzero;
            keep = nonzero >= static_cast<std::size_t>(p.min_nonzero_epochs);
        }
        if (keep) out.push_back({onset, end});
        i = end;
    }
    return out;
}

SleepPeriodSummary summarize(const std::vector<State>& states, const Counts& counts,
                             const SleepPeriod& period) {
    if (counts.size() != states.size())
        throw std::invalid_argument("summarize: counts and states differ in length");
    if (period.onset > period.end || period.end > states.size())
        throw std::invalid_argument("summarize: period lies outside the series");
    SleepPeriodSummary s;
    s.duration_epochs = period.end - period.onset;
    std::size_t sleep_runs = 0, one_epoch_sleep_runs = 0;
    for (std::size_t k = period.onset; k < period.end; ++k) {
        const State st = states[k];
        const bool run_start = k == period.onset || states[k - 1] != st;
        const bool run_end = k + 1 == period.end || states[k + 1] != st;
        if (st == State::sleep) {
            ++s.sleep_epochs;
            if (run_start) {
                ++sleep_runs;
                if (run_end) ++one_epoch_sleep_runs;
            }
        } else if (st == State::wake) {
            ++s.wake_epochs;
            if (run_start) ++s.awakenings;
        }
        if (usable(counts[k])) {
            s.total_counts += *counts[k];
            if (*counts[k] > 0) ++s.nonzero_epochs;
        }
    }
    if (s.awakenings > 0) s.average_awakening_epochs = static_cast<double>(s.wake_epochs) / static_cast<double>(s.awakenings);
    if (s.duration_epochs > 0) {
        const auto d = static_cast<double>(s.duration_epochs);
        s.efficiency_pct = 100.0 * static_cast<double>(s.sleep_epochs) / d;
        s.movement_index_pct = 100.0 * static_cast<double>(s.nonzero_epochs) / d;
    }
    if (sleep_runs > 0)
        s.fragmentation_index_pct = 100.0 * static_cast<double>(one_epoch_sleep_runs) / static_cast<double>(sleep_runs);
    s.sleep_fragmentation_index_pct = s.movement_index_pct + s.fragmentation_index_pct;
    return s;
}

}  // namespace hypnic::score
