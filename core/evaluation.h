#ifndef JKOFLOW_CORE_EVALUATION_H_
#define JKOFLOW_CORE_EVALUATION_H_

// Sample-based metrics for generative models: Gaussian-kernel MMD and the
// exact empirical Wasserstein-2 distance (via an exact assignment solver).

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jkoflow {

// MedianPairwiseDistance() returns the median Euclidean distance over all
// pairs i < j of rows of `x` [n, d] (any real dtype, any device; computed in
// float64). If n > max_points, a subset of max_points rows is drawn first
// with a randperm seeded by `seed`. For an even number of pairs the two middle
// values are averaged. Non-2-D, non-real or non-finite input, n < 2 or
// max_points < 2 returns InvalidArgument.
absl::StatusOr<double> MedianPairwiseDistance(const torch::Tensor& x,
                                              int64_t max_points,
                                              uint64_t seed);

// GaussianMmd() returns the unbiased (U-statistic) squared MMD between
// samples x [n, d] and y [m, d], averaged over Gaussian kernels
// exp(-|a - b|^2 / (2 sigma^2)) with sigma = 0.1, 0.2, 0.5, 1 and 2 x the
// median pairwise distance of the pooled samples (0.1 is the JKO-iFlow
// paper's choice). Unbiased, it can be slightly negative when the two
// samples come from one distribution. Each set is first subsampled to
// max_points rows (seeded by `seed`). Inputs may be any real dtype on any
// device; the computation is float64 on CPU. Mismatched columns, empty or
// non-finite inputs, fewer than 2 rows, max_points < 1 or a zero median
// distance (degenerate samples) return InvalidArgument.
absl::StatusOr<double> GaussianMmd(const torch::Tensor& x,
                                   const torch::Tensor& y, uint64_t seed,
                                   int64_t max_points = 2000);

// GramSquaredDistances() is |a_i − b_j|² [n, m] (contiguous) by the Gram
// expansion |a|² + |b|² − 2 a·b, clamped at 0: fast, with the rounding of
// the expansion. a [n, d] and b [m, d] are float64 on one device.
torch::Tensor GramSquaredDistances(const torch::Tensor& a,
                                   const torch::Tensor& b);

// ExactOtAssignment() solves the linear assignment problem for `cost` [n, n]
// exactly (Jonker-Volgenant shortest augmenting paths with potentials, O(n^3),
// in double precision) and returns perm with perm[i] = column matched to row
// i, minimising sum_i cost[i, perm[i]]. n = 0 gives an empty vector.
// Non-square, non-real or non-finite cost returns InvalidArgument.
absl::StatusOr<std::vector<int64_t>> ExactOtAssignment(
    const torch::Tensor& cost);

// W2Distance() returns the exact Wasserstein-2 distance between the uniform
// empirical measures on the rows of x and y [n, d] (squared Euclidean cost,
// exact assignment): sqrt of the mean matched squared distance. Differing
// shapes, n = 0, non-real or non-finite input return InvalidArgument. Cost is
// O(n^3): intended for n up to a few thousand.
absl::StatusOr<double> W2Distance(const torch::Tensor& x,
                                  const torch::Tensor& y);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_EVALUATION_H_
