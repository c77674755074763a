// Small-sample statistics behind the advice (see docs/advice.md for the formulas and their sources).
#include "plugin/advice/stats.hpp"

#include <algorithm>
#include <cmath>

namespace hypnic::advice {

Interval wilson(int k, int n, double z) {
    if (n <= 0) return {0, 1};
    k = std::clamp(k, 0, n);
    const double nn = n;
    const double p = k / nn;
    const double z2 = z * z;
    const double centre = (p + z2 / (2 * nn)) / (1 + z2 / nn);
    const double half = z / (1 + z2 / nn) * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
    // At k == 0 or k == n the bound equals p exactly; rounding must not push it past p.
    Interval r{std::clamp(centre - half, 0.0, 1.0), std::clamp(centre + half, 0.0, 1.0)};
    if (k == 0) r.low = 0;
    if (k == n) r.high = 1;
    return r;
}

double laplace_rate(int k, int n) { return (std::max(k, 0) + 1.0) / (std::max(n, 0) + 2.0); }

Interval newcombe_difference(int k1, int n1, int k0, int n0, double z) {
    const Interval w1 = wilson(k1, n1, z);
    const Interval w0 = wilson(k0, n0, z);
    const double p1 = n1 > 0 ? static_cast<double>(std::clamp(k1, 0, n1)) / n1 : 0.5;
    const double p0 = n0 > 0 ? static_cast<double>(std::clamp(k0, 0, n0)) / n0 : 0.5;
    const double d = p1 - p0;
    const double low = d - std::sqrt((p1 - w1.low) * (p1 - w1.low) + (w0.high - p0) * (w0.high - p0));
    const double high = d + std::sqrt((w1.high - p1) * (w1.high - p1) + (p0 - w0.low) * (p0 - w0.low));
    return {std::clamp(low, -1.0, 1.0), std::clamp(high, -1.0, 1.0)};
}

MeanDifference mean_difference(const Sample& a, const Sample& b) {
    MeanDifference r;
    r.difference = a.mean - b.mean;
    double var = 0;
    if (a.n > 0) var += std::max(a.variance, 0.0) / a.n;
    if (b.n > 0) var += std::max(b.variance, 0.0) / b.n;
    r.se = std::sqrt(var);
    return r;
}

}  // namespace hypnic::advice
