#ifndef JKOFLOW_CORE_FLOW_MODEL_H_
#define JKOFLOW_CORE_FLOW_MODEL_H_

#include <torch/types.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/data_transform.h"
#include "core/divergence.h"
#include "core/jko_block.h"
#include "core/rk4.h"

namespace jkoflow {

// BlockDiagnostics are the quantities the seed paper's guarantees rest on,
// measured per block after it is trained, on `points` points x of its
// input (core/block_diagnostics.h says how). NaN where not measured.
struct BlockDiagnostics {
  int64_t points = 0;  // n; 0: not measured
  // ε_k² = mean |ξ(y)|², ξ(y) = y + ∇log p_k(y) + (y − T̃_k(y))/h_k at
  // y = T_k(x): the first-order residual (Assumption 1).
  double first_order_residual = std::numeric_limits<double>::quiet_NaN();
  // Its standard error over the points (sd/√n).
  double first_order_residual_std_error =
      std::numeric_limits<double>::quiet_NaN();
  // The same estimator on an exact isotropic Gaussian JKO step at the same
  // n, d, h: what it reports when ε = 0 there (not a floor for other p_k).
  double residual_floor = std::numeric_limits<double>::quiet_NaN();
  // S² = sup over the Gaussian RKHS ball of (E[g·φ − div φ])², g(y) = y +
  // (y − T̃_k(y))/h_k: the first-order condition in Stein form, needing no
  // score estimate; an unbiased U-statistic (may come out below 0) and its
  // standard error (core/stein_residual.h).
  double stein_residual = std::numeric_limits<double>::quiet_NaN();
  double stein_residual_std_error = std::numeric_limits<double>::quiet_NaN();
  // The kernel bandwidth of the score estimate ∇log p_k.
  double score_bandwidth = std::numeric_limits<double>::quiet_NaN();
  // mean |T_k(x) − T_OT(x)|²: the learned map against the exact discrete
  // optimal transport between the block's input and output samples.
  double ot_gap = std::numeric_limits<double>::quiet_NaN();
  // The largest singular value of ∂T_k (of ∂T_k⁻¹) seen at the points.
  double lipschitz = std::numeric_limits<double>::quiet_NaN();
  double inverse_lipschitz = std::numeric_limits<double>::quiet_NaN();
  // E|T_k^{S steps}(x) − T_k^{2S steps}(x)|²: the RK4 discretisation error.
  double discretisation_error = std::numeric_limits<double>::quiet_NaN();
  // mean |log|det ∂T_k^{RK4}(x)| − RK4 ∫div f_k|: how far the likelihood's
  // log-determinant is from the discrete map's (d ≤ 16; NaN above).
  double log_det_error = std::numeric_limits<double>::quiet_NaN();
  // W2²(p_{k−1}, N(0, I)) estimated on the points (TargetDistance()):
  // measured on block 1 only, where it is W2²(p_0, N(0, I)), the start of
  // the convergence bound (core/convergence_bound.h).
  double start_distance = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0;  // what measuring them took
};

// BlockDiagnosticField names one floating-point member of BlockDiagnostics.
struct BlockDiagnosticField {
  const char* name;
  double BlockDiagnostics::*member;
};

// kBlockDiagnosticFields lists them by the names the manifest uses.
inline constexpr BlockDiagnosticField kBlockDiagnosticFields[] = {
    {"first_order_residual", &BlockDiagnostics::first_order_residual},
    {"first_order_residual_std_error",
     &BlockDiagnostics::first_order_residual_std_error},
    {"residual_floor", &BlockDiagnostics::residual_floor},
    {"stein_residual", &BlockDiagnostics::stein_residual},
    {"stein_residual_std_error", &BlockDiagnostics::stein_residual_std_error},
    {"score_bandwidth", &BlockDiagnostics::score_bandwidth},
    {"ot_gap", &BlockDiagnostics::ot_gap},
    {"lipschitz", &BlockDiagnostics::lipschitz},
    {"inverse_lipschitz", &BlockDiagnostics::inverse_lipschitz},
    {"discretisation_error", &BlockDiagnostics::discretisation_error},
    {"log_det_error", &BlockDiagnostics::log_det_error},
    {"start_distance", &BlockDiagnostics::start_distance},
    {"seconds", &BlockDiagnostics::seconds},
};

// BlockStats are the training statistics and diagnostics of one block,
// measured on the training data pushed through the blocks before it.
struct BlockStats {
  double loss = 0;               // total per-block loss
  double potential = 0;          // E V(T(x))
  double neg_divergence = 0;     // −E ∫ div f
  double movement_term = 0;      // E |T(x) − x|² / (2h)
  double movement = 0;           // W_k = E |T(x) − x|² (the W2 proxy)
  double mean_displacement = 0;  // S_k = E |T(x) − x| (adaptive step rule)
  double relative_movement = 0;  // E |T(x) − x|² / E |T(x)|² (stop rule)
  double inversion_error = 0;    // E |x − T⁻¹(T(x))|²
  // KL(p_{k−1} ‖ N(0, I)) − KL(p_k ‖ N(0, I)) = E[|x|²/2 − |T(x)|²/2 +
  // ∫div f] on fixed rows (the held-out ones when set aside), with its
  // standard error, and the standard error that a fresh subset for each
  // end would have had (the trajectory before the rows were fixed).
  double kl_decrease = 0;
  double kl_decrease_std_error = 0;
  double kl_decrease_unpaired_std_error = 0;
  double train_seconds = 0;
  int64_t iterations = 0;
  // Not among kBlockStatFields: a diagnostic may be NaN in a sound model.
  BlockDiagnostics diagnostics;
};

// BlockStatField names one floating-point member of BlockStats.
struct BlockStatField {
  const char* name;
  double BlockStats::*member;
};

// kBlockStatFields lists the floating-point statistics of a block by the names
// the manifest uses (iterations, an integer, is not among them).
inline constexpr BlockStatField kBlockStatFields[] = {
    {"loss", &BlockStats::loss},
    {"potential", &BlockStats::potential},
    {"neg_divergence", &BlockStats::neg_divergence},
    {"movement_term", &BlockStats::movement_term},
    {"movement", &BlockStats::movement},
    {"mean_displacement", &BlockStats::mean_displacement},
    {"relative_movement", &BlockStats::relative_movement},
    {"inversion_error", &BlockStats::inversion_error},
    {"kl_decrease", &BlockStats::kl_decrease},
    {"kl_decrease_std_error", &BlockStats::kl_decrease_std_error},
    {"kl_decrease_unpaired_std_error",
     &BlockStats::kl_decrease_unpaired_std_error},
    {"train_seconds", &BlockStats::train_seconds},
};

// Provenance says where a model came from; it is stored in the manifest.
struct Provenance {
  std::string dataset;
  uint64_t seed = 0;
  // Hyper-parameters as name → printed value, in a stable order.
  std::vector<std::pair<std::string, std::string>> hyperparameters;
  std::string created_utc;
  // The id of the token that owns the model's name on a server with
  // tokens (never the token itself; see server/auth/auth_tokens.h); "" when
  // the model was made without tokens.
  std::string owner;
};

// ValidatePoints() checks that x is a finite [n, dim] floating tensor with
// n ≥ 1; errors are InvalidArgument naming `field`.
absl::Status ValidatePoints(const torch::Tensor& x, int64_t dim,
                            absl::string_view field);

// FlowModel is the data's transform (core/data_transform.h) followed by an
// ordered list of JKO blocks carrying the transformed data to N(0, I).
// LogProb(), MapToNoise(), MapToData(), Sample() and the stages take and
// give points in the data's own units; Forward() and InversionError() work
// in the flow's (transformed) space, where the blocks live.
// It lives on one device and one floating dtype (float32 by default).
// Const methods are safe to call concurrently; AppendBlock()/To() are not.
class FlowModel {
 public:
  explicit FlowModel(int64_t dim, torch::Device device = torch::Device("cpu"),
                     torch::ScalarType dtype = torch::kFloat32);

  int64_t dim() const { return dim_; }
  // FlowDim() is the dimension the blocks act on: the transform's
  // FlowDim() (the first k coordinates of the flow's space with a
  // projection; the rest pass through as N(0, 1)), else dim().
  int64_t FlowDim() const { return transform_.FlowDim(); }
  int64_t num_blocks() const { return static_cast<int64_t>(blocks_.size()); }
  torch::Device device() const { return device_; }
  torch::ScalarType dtype() const { return dtype_; }
  const JkoBlock& block(int64_t i) const { return blocks_[i]; }
  const BlockStats& stats(int64_t i) const { return stats_[i]; }
  BlockStats& mutable_stats(int64_t i) { return stats_[i]; }

  // OU smoothing time τ applied to the training data (0: none). The model's
  // density is that of the smoothed data.
  double smoothing_tau() const { return smoothing_tau_; }
  void set_smoothing_tau(double tau) { smoothing_tau_ = tau; }
  // The data's transform (identity unless set); its dim must be the
  // model's, and its FlowDim() that of the blocks already appended
  // (INVALID_ARGUMENT otherwise).
  const DataTransform& transform() const { return transform_; }
  absl::Status set_transform(DataTransform transform);
  const Provenance& provenance() const { return provenance_; }
  void set_provenance(Provenance p) { provenance_ = std::move(p); }

  // AppendBlock() adds a trained block (moved to the model's device and
  // dtype). Its dimension must be FlowDim().
  absl::Status AppendBlock(JkoBlock block, const BlockStats& stats);

  // To() moves every block to `device` / `dtype`.
  absl::Status To(torch::Device device, torch::ScalarType dtype);

  // ForwardResult: z = T_K ∘ … ∘ T_1(x) and log_det = Σ_k ∫ div f_k [n]
  // ([n, probes] with divergence.per_probe, one column per probe).
  struct ForwardResult {
    torch::Tensor z;
    torch::Tensor log_det;
  };

  // Forward() carries points x [n, dim] of the flow's space to noise with
  // the blocks' log-determinant.
  // Hutchinson probes (if asked for) are drawn from `probe_seed`.
  absl::StatusOr<ForwardResult> Forward(const torch::Tensor& x,
                                        const DivergenceOptions& divergence,
                                        uint64_t probe_seed = 0,
                                        const StopCheck& stop = nullptr) const;

  // LogProb() is log p(x) = log N(z; 0, I) + Σ_k ∫ div f_k + log|det| of the
  // transform, per data point [n] (model dtype, model device). Exact
  // divergence unless asked otherwise. For integer data it is the
  // dequantised bound, with u drawn from `probe_seed`; −inf outside the
  // transform's support.
  absl::StatusOr<torch::Tensor> LogProb(
      const torch::Tensor& x,
      const DivergenceOptions& divergence = DivergenceOptions(),
      uint64_t probe_seed = 0, const StopCheck& stop = nullptr) const;

  // LogProbEstimate is LogProb()'s value per point [n] and, for a
  // Hutchinson estimate with at least two probes, its standard error [n]
  // (undefined otherwise: exact values have none, one probe cannot tell).
  struct LogProbEstimate {
    torch::Tensor log_prob;
    torch::Tensor std_error;
  };

  // LogProbWithError() is LogProb() with the Hutchinson estimate's standard
  // error: each probe's divergence integrals are kept apart, log p is their
  // mean (the same value LogProb() gives) and the error is their sample
  // standard deviation over √probes. Only the divergence is random here; for
  // integer data the dequantisation u is fixed by `probe_seed`.
  absl::StatusOr<LogProbEstimate> LogProbWithError(
      const torch::Tensor& x, const DivergenceOptions& divergence,
      uint64_t probe_seed = 0, const StopCheck& stop = nullptr) const;

  // MapToNoise() is data x ↦ z without the log-determinant.
  absl::StatusOr<torch::Tensor> MapToNoise(
      const torch::Tensor& x, const StopCheck& stop = nullptr) const;

  // MapToData() is z ↦ x: the blocks' inverses in reverse order, then the
  // transform's inverse (for integer data, integers of the support).
  absl::StatusOr<torch::Tensor> MapToData(
      const torch::Tensor& z, const StopCheck& stop = nullptr) const;

  // MapToDataStages() is MapToData() keeping the K + 1 stages: z, then the
  // points after each inverse block mapped back to the data's units; the
  // last is MapToData(z).
  absl::StatusOr<std::vector<torch::Tensor>> MapToDataStages(
      const torch::Tensor& z, const StopCheck& stop = nullptr) const;

  // Noise() draws n points of N(0, I) from `seed` (on the CPU, then moved to
  // the model's device, so a seed gives the same points everywhere).
  absl::StatusOr<torch::Tensor> Noise(int64_t n, uint64_t seed) const;

  // Sample() draws n points of the model: MapToData(Noise(n, seed)).
  absl::StatusOr<torch::Tensor> Sample(int64_t n, uint64_t seed,
                                       const StopCheck& stop = nullptr) const;

  // SampleTrajectory() returns the K + 1 stages of sampling: the noise,
  // then the points after each inverse block; the last is the sample.
  absl::StatusOr<std::vector<torch::Tensor>> SampleTrajectory(
      int64_t n, uint64_t seed, const StopCheck& stop = nullptr) const;

  // InversionReport: E|x − T_k⁻¹(T_k(x))|² per block (x pushed through the
  // blocks before k) and E|x − T⁻¹(T(x))|² through the whole flow, for x
  // in the flow's space (ToFlowSpace() maps data there).
  struct InversionReport {
    std::vector<double> per_block;
    double end_to_end = 0;
  };
  absl::StatusOr<InversionReport> InversionError(const torch::Tensor& x) const;

  // ToFlowSpace() maps data x [n, dim] through the transform (integer data
  // dequantised with u from `seed`): the points [n, dim] in the model's
  // dtype and device, and the transform's log|det| [n] (float64).
  absl::StatusOr<std::pair<torch::Tensor, torch::Tensor>> ToFlowSpace(
      const torch::Tensor& x, uint64_t seed = 0) const;

  // FromFlowSpace() maps points of the flow's space back to data (the
  // transform's inverse), in the model's dtype and device.
  absl::StatusOr<torch::Tensor> FromFlowSpace(const torch::Tensor& y) const;

 private:
  // Pass() runs prepared points through every block without divergence:
  // towards the data (inverses, last block first) or towards the noise; with
  // keep_stages it returns the K + 1 stages, else only the end points. Row
  // chunks run in parallel (MapRowChunks).
  absl::StatusOr<std::vector<torch::Tensor>> Pass(const torch::Tensor& x,
                                                  bool to_data,
                                                  bool keep_stages,
                                                  const StopCheck& stop) const;
  // Head() is the columns of flow-space points y [n, dim] the blocks act
  // on; Join() puts mapped ones back beside the rest of `full`'s columns.
  torch::Tensor Head(const torch::Tensor& y) const;
  torch::Tensor Join(const torch::Tensor& head,
                     const torch::Tensor& full) const;
  // Prepare() validates x and moves it to the model's device and dtype.
  absl::StatusOr<torch::Tensor> Prepare(const torch::Tensor& x,
                                        absl::string_view field) const;

  int64_t dim_;
  torch::Device device_;
  torch::ScalarType dtype_;
  std::vector<JkoBlock> blocks_;
  std::vector<BlockStats> stats_;
  double smoothing_tau_ = 0;
  DataTransform transform_;
  Provenance provenance_;
};

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_FLOW_MODEL_H_
