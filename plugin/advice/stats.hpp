// Small-sample statistics behind the advice: smoothed rates, score intervals and mean differences.
#pragma once

namespace hypnic::advice {

/// A two-sided interval [low, high].
struct Interval {
    double low = 0;
    double high = 0;
};

/// Wilson score interval of a proportion `k` of `n` at normal quantile `z` (1.96 = 95 %).
/// Invariants: 0 <= low <= k/n <= high <= 1; n == 0 gives [0, 1] (nothing known).
Interval wilson(int k, int n, double z);

/// Rate with a Beta(1, 1) (Laplace) prior: (k + 1) / (n + 2). Pulls small samples towards 1/2,
/// so that 2 heavy nights of 2 reads as 0.75, not as a certain 1.
double laplace_rate(int k, int n);

/// Newcombe's hybrid score interval (his method 10) for the difference of two proportions
/// k1/n1 - k0/n0, built from the two Wilson intervals. Stays inside [-1, 1] and behaves on
/// counts as small as 0 of 3, where the textbook normal interval fails.
Interval newcombe_difference(int k1, int n1, int k0, int n0, double z);

/// Mean of one group for the difference of means.
struct Sample {
    int n = 0;
    double mean = 0;
    double variance = 0;  ///< sample variance (n - 1 in the denominator); 0 when n < 2
};

/// Difference of two means (a - b) and its Welch standard error sqrt(var_a/n_a + var_b/n_b).
struct MeanDifference {
    double difference = 0;
    double se = 0;
};
MeanDifference mean_difference(const Sample& a, const Sample& b);

}  // namespace hypnic::advice
