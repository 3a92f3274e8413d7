#ifndef JKOFLOW_CORE_DATASETS_H_
#define JKOFLOW_CORE_DATASETS_H_

// Synthetic data sets: the classic 2-D toy densities of the FFJORD / JKO-iFlow
// literature and diagonal Gaussian mixtures with an exact log-density.

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jkoflow {

// BuiltinDatasetNames() lists the 2-D toy sets accepted by GenerateBuiltin():
// 8gaussians, checkerboard, 2spirals, moons, pinwheel, rings, swissroll,
// circles. Never fails.
std::vector<std::string> BuiltinDatasetNames();

// GenerateBuiltin() draws `n` points of the toy set `name` as a [n, 2] float32
// CPU tensor, reproducibly from `seed` (the global RNG is never used). An
// unknown name returns InvalidArgument listing the valid names; n <= 0 returns
// InvalidArgument; a LibTorch failure returns Internal.
absl::StatusOr<torch::Tensor> GenerateBuiltin(const std::string& name,
                                              int64_t n, uint64_t seed);

// GaussianMixture is a mixture of K Gaussians in R^d with diagonal
// covariances: weights [K] (normalised to sum 1), means [K, d] and per-axis
// standard deviations [K, d], all stored as float64 CPU tensors. Instances are
// immutable and cheap to copy (tensors are shared); const methods are
// thread-safe.
class GaussianMixture {
 public:
  // Create() validates and stores a mixture. `weights` must be [K] with
  // positive finite entries (normalised internally), `means` [K, d] finite and
  // `stds` [K, d] positive finite, K >= 1, d >= 1, real (non-bool) dtypes on
  // any device. Anything else returns InvalidArgument.
  static absl::StatusOr<GaussianMixture> Create(torch::Tensor weights,
                                                torch::Tensor means,
                                                torch::Tensor stds);

  // EightGaussians() is the exact density of the "8gaussians" toy set: equal
  // weights, centres 4 (cos(j pi/4), sin(j pi/4)) / 1.414 for j = 0..7 and
  // per-axis standard deviation 0.5 / 1.414. Never fails in practice; should
  // LibTorch fail to allocate, the result is empty (dim() == 0) and its
  // methods return FailedPrecondition.
  static GaussianMixture EightGaussians();

  // Random() builds a `components`-component mixture in dimension `dim` from
  // `seed`: means uniform in [-3, 3]^dim, standard deviations uniform in
  // [0.3, 0.8], equal weights. dim <= 0 or components <= 0 returns
  // InvalidArgument.
  static absl::StatusOr<GaussianMixture> Random(int64_t dim, int64_t components,
                                                uint64_t seed);

  // dim() returns the dimension d (0 for an empty mixture).
  int64_t dim() const;

  // num_components() returns K (0 for an empty mixture).
  int64_t num_components() const;

  // weights() returns the normalised weights [K] float64 CPU.
  const torch::Tensor& weights() const { return weights_; }
  // means() returns the means [K, d] float64 CPU.
  const torch::Tensor& means() const { return means_; }
  // stds() returns the per-axis standard deviations [K, d] float64 CPU.
  const torch::Tensor& stds() const { return stds_; }

  // Sample() draws `n` points, [n, d] float32 CPU, reproducibly from `seed`.
  // n <= 0 returns InvalidArgument.
  absl::StatusOr<torch::Tensor> Sample(int64_t n, uint64_t seed) const;

  // LogProb() returns the exact log-density (computed with logsumexp in
  // float64) of each row of `x` [n, d] as a [n] float64 CPU tensor without
  // gradient. `x` may have any floating dtype and live on any device. An
  // undefined, non-floating or non-[n, d] input returns InvalidArgument naming
  // the expected and actual columns.
  absl::StatusOr<torch::Tensor> LogProb(const torch::Tensor& x) const;

 private:
  GaussianMixture(torch::Tensor weights, torch::Tensor means,
                  torch::Tensor stds);

  torch::Tensor weights_;  // [K] float64, sums to 1.
  torch::Tensor means_;    // [K, d] float64.
  torch::Tensor stds_;     // [K, d] float64, positive.
};

// ParseGaussianMixtureSpec() accepts "gmm:<dim>:<components>:<seed>" (e.g.
// "gmm:10:8:1", dim and components positive integers, seed a non-negative
// integer) and returns GaussianMixture::Random(dim, components, seed).
// Anything else returns InvalidArgument.
absl::StatusOr<GaussianMixture> ParseGaussianMixtureSpec(
    const std::string& spec);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_DATASETS_H_
