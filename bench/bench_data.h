#ifndef JKOFLOW_BENCH_BENCH_DATA_H_
#define JKOFLOW_BENCH_BENCH_DATA_H_

#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/data_source.h"  // GeneratePoints(), ReadPointsFile()
#include "core/flow_model.h"

namespace jkoflow {

// BenchData is a training set, a test set and, when the true density is
// known, the exact log-density of each test point.
struct BenchData {
  torch::Tensor train;              // [n, d] float32
  torch::Tensor test;               // [m, d] float32
  torch::Tensor test_logp;          // [m] float64; undefined when unknown
  std::vector<int64_t> item_shape;  // one point's shape when a file gave it
};

// GenerateBenchData() draws `train_points` and `test_points` (with seeds
// `seed` and seed + 7919) from a built-in 2-D set or a gmm:<dim>:<k>:<seed>
// spec. The true log-density is filled in for gmm specs, 8gaussians and
// checkerboard (uniform on its 8 squares of area 4: −log 32).
absl::StatusOr<BenchData> GenerateBenchData(const std::string& dataset,
                                            int64_t train_points,
                                            int64_t test_points, uint64_t seed);

// Evaluation of a trained model on test points.
struct Evaluation {
  double nll = 0;              // −mean log p̂(test), nats
  std::optional<double> kl;    // mean(log p − log p̂) when p is known
  double mmd = 0;              // GaussianMmd(samples, test)
  double inversion_error = 0;  // end to end, on the test points
  // Bits per dimension on the data's own scale (integer models only).
  std::optional<double> bits_per_dim;
  double eval_seconds = 0;  // the test log-likelihood's wall-clock
};

// JsonNumberOrNull() is `value` as a JSON number ("%.6f") or null.
std::string JsonNumberOrNull(const std::optional<double>& value);

// EvaluateModel() computes the Evaluation with exact divergences; samples
// (min(m, 5000) of them) are drawn with `seed` + 1 (no MMD when
// `with_mmd` is false); the inversion error is measured in the flow's
// space on min(m, inversion_points) test points.
absl::StatusOr<Evaluation> EvaluateModel(const FlowModel& model,
                                         const BenchData& data, uint64_t seed,
                                         bool with_mmd = true,
                                         int64_t inversion_points = 1 << 30);

}  // namespace jkoflow

#endif  // JKOFLOW_BENCH_BENCH_DATA_H_
