#ifndef JKOFLOW_CORE_DATA_TRANSFORM_H_
#define JKOFLOW_CORE_DATA_TRANSFORM_H_

// The data's own transforms, fitted on the training data and kept with the
// model (docs/design.md, "Transforms"): a flow is trained in the transformed
// space, and every likelihood includes the transforms' log-Jacobians, so
// densities and samples are in the data's own units.

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jkoflow {

// TransformSpec says which transforms to fit. The steps always run in this
// order: dequantise → marginal → scale → logit → standardise → whiten
// (→ project).
struct TransformSpec {
  // kAuto chooses the steps from the data (FitTransform() says how).
  bool automatic = true;
  bool dequantize = false;  // x + u, u ~ U[0, 1): integer data only
  // Φ^{-1}(F_i(x_i)) per feature, F_i the dequantised data's histogram CDF
  // over the integer levels (a Gaussian copula once whitened); needs
  // dequantize, excludes scale and logit.
  bool marginal = false;
  bool scale = false;        // (x − lower) / (upper − lower) into [0, 1]
  bool logit = false;        // logit(α + (1 − 2α) y); needs scale
  bool standardize = false;  // per feature (y − mean) / max(std, floor)
  bool whiten = false;  // Σ^{-1/2} (y − mean), Σ the training covariance
  // project = k > 0 (needs whiten): the whitened points in principal
  // coordinates, largest variance first, Λ^{-1/2} Uᵀ (y − mean); the flow's
  // blocks act on the first k of them only and the other d − k stay N(0, 1)
  // under the model (a Gaussian on the orthogonal rest), so the model is
  // still a density on all d and samples have all d. 0: the symmetric
  // whitening, and the blocks see all d.
  int64_t project = 0;
  double logit_alpha = 0.05;
  // The shape of one point (an image: {28, 28}), recorded in the model;
  // empty when flat.
  std::vector<int64_t> item_shape;
};

// kTransformStepNames are the spellings ParseTransformSpec() accepts.
inline constexpr const char* kTransformStepNames[] = {
    "dequantize", "marginal", "scale", "logit", "standardize", "whiten"};

// ParseTransformSpec() reads "auto", "none" or a comma-separated list of
// steps (kTransformStepNames), each at most once, e.g.
// "dequantize,scale,logit,standardize,whiten", optionally ending in
// "project=k" (k ≥ 1, after whiten). Anything else is INVALID_ARGUMENT
// naming "transform".
absl::StatusOr<TransformSpec> ParseTransformSpec(absl::string_view text);

// TransformSpecName() is ParseTransformSpec()'s form of `spec`.
std::string TransformSpecName(const TransformSpec& spec);

// DataTransform is a fitted transform x (data) ↦ y (the flow's space),
// invertible on its support, with log|det ∂y/∂x| per point. A default one
// is the identity. Parameters are float64 CPU tensors; const methods are
// thread-safe. Copies share the (immutable) parameters.
class DataTransform {
 public:
  DataTransform() = default;
  // DataTransform(dim) is the identity on dim-dimensional data.
  explicit DataTransform(int64_t dim) : dim_(dim) { params_.dim = dim; }

  // Identity() is true when no step is on (the flow sees the data as is).
  bool Identity() const;
  int64_t dim() const { return dim_; }
  // FlowDim() is how many of the mapped coordinates the flow's blocks act
  // on: the first `project` ones with a projection, else all dim().
  int64_t FlowDim() const {
    return params_.steps.project > 0 ? params_.steps.project : dim_;
  }
  // Integer() is true for integer-valued data (dequantised): likelihoods
  // are then bounds on log P(x) for the integer point x, in nats, and
  // BitsPerDim() applies.
  bool Integer() const { return dequantize_; }
  // Shape of one data point (e.g. {28, 28} for images); empty when flat.
  const std::vector<int64_t>& item_shape() const { return params_.item_shape; }
  // SetItemShape() records the shape of one point; its product must be
  // dim() (INVALID_ARGUMENT otherwise); an empty shape means flat.
  absl::Status SetItemShape(std::vector<int64_t> shape);

  // Steps() is the spec of the fitted steps (not automatic).
  TransformSpec Steps() const;
  // Describe() is a one-line summary, e.g. "dequantize, scale [0, 256),
  // logit α=0.05, standardize, whiten" ("none" for the identity).
  std::string Describe() const;

  // Forward() maps data x [n, dim] (any float dtype and device) to the
  // flow's space: {y [n, dim], log|det| [n]}, both float64 on x's device.
  // For integer data, u ~ U[0, 1) is added first (the dequantised bound):
  // DequantizationNoise() of `dequantize_seed` and the row's own values, so
  // a point gets the same u whatever rows it is mapped with (a served
  // log-likelihood does not depend on the batch it shared). Rows outside the
  // support (below `lower` or at or above `upper` once scaled) get a
  // log-determinant of −inf and are clamped inside it. The points come back as
  // `out_dtype` (log|det| always float64); rows are mapped in chunks, so the
  // float64 temporaries stay small.
  absl::StatusOr<std::pair<torch::Tensor, torch::Tensor>> Forward(
      const torch::Tensor& x, uint64_t dequantize_seed = 0,
      torch::ScalarType out_dtype = torch::kFloat64) const;

  // Inverse() maps y [n, dim] of the flow's space back to data (float64 on
  // y's device); for integer data the result is rounded down to the
  // integers of the support.
  absl::StatusOr<torch::Tensor> Inverse(const torch::Tensor& y) const;

  // ForwardRows() is Forward() on one chunk of rows (float64), with
  // dequantisation noise from `dequantize_seed`; FitTransform() makes its
  // passes with it.
  std::pair<torch::Tensor, torch::Tensor> ForwardRows(
      const torch::Tensor& x, uint64_t dequantize_seed) const;

  // Fitted parameters, for storage (core/transform_file.h).
  struct Parameters {
    int64_t dim = 0;
    TransformSpec steps;  // `automatic` false
    // scale: the data's range; marginal: its integer levels are lower,
    // lower + 1, …, upper − 1.
    double lower = 0, upper = 1;
    torch::Tensor marginal_cdf;        // marginal: [dim, levels + 1]
    torch::Tensor mean, scale;         // standardize: [dim] each
    torch::Tensor white_mean;          // whiten: [dim]
    torch::Tensor basis, eigenvalues;  // whiten: [dim, dim], [dim]
    std::vector<int64_t> item_shape;
  };
  const Parameters& parameters() const { return params_; }
  // FromParameters() checks shapes and values (finite, scales and
  // eigenvalues positive, lower < upper, α in (0, 0.5)); INVALID_ARGUMENT
  // naming the field.
  static absl::StatusOr<DataTransform> FromParameters(Parameters params);

 private:
  Parameters params_;
  int64_t dim_ = 0;
  bool dequantize_ = false;
};

// DequantizationNoise() is u ~ U[0, 1) for every entry of the rows x
// [n, dim] (float64, CPU): a hash of `seed` and each row's own values seeds
// a SplitMix64 stream along the row. The same seed and row give the same u
// whatever the other rows; another seed gives independent u.
torch::Tensor DequantizationNoise(const torch::Tensor& x, uint64_t seed);

// kMaxMarginalLevels bounds the integer levels of the marginal step (its
// table holds dim × (levels + 1) float64 values).
inline constexpr int64_t kMaxMarginalLevels = 4096;

// MarginalLevelsValid() is true when [lower, upper) can be the marginal
// step's levels: lower an integer, 1 to kMaxMarginalLevels whole levels.
bool MarginalLevelsValid(double lower, double upper);

// kAutoProjectDims is the automatic spec's projection: whitened data of
// more dimensions gives the flow its top kAutoProjectDims principal
// directions (docs/design.md, "Transforms"), so a block's cost stays that
// of a 64-D flow whatever d is.
inline constexpr int64_t kAutoProjectDims = 64;

// FitTransform() fits `spec` on training data x [n, dim] (n ≥ 2). With
// spec.automatic, the steps are chosen from the data: integer-valued data
// spanning at most kMaxMarginalLevels levels (margins included: 5 % of the
// range on each side, not below 0 for non-negative data nor above 255 for
// bytes) is
// dequantised, mapped through its marginals and whitened (a Gaussian
// copula before any block); wider integer data is dequantised,
// standardised and whitened; with more than kAutoProjectDims dimensions
// the flow then sees the top kAutoProjectDims principal directions
// (project); real-valued data is left as it is. Returns the
// transform and, in `transformed`, x mapped by it (with u drawn from `seed`),
// the rows the flow trains on, [n, dim] float32 CPU.
absl::StatusOr<DataTransform> FitTransform(const TransformSpec& spec,
                                           const torch::Tensor& x,
                                           uint64_t seed,
                                           torch::Tensor* transformed);

// BitsPerDim() is −mean(log_prob) / (dim · ln 2): bits per dimension on the
// data's own scale, for an integer model's log-likelihoods [n].
double BitsPerDim(const torch::Tensor& log_prob, int64_t dim);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_DATA_TRANSFORM_H_
