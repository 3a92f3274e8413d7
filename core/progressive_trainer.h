#ifndef JKOFLOW_CORE_PROGRESSIVE_TRAINER_H_
#define JKOFLOW_CORE_PROGRESSIVE_TRAINER_H_

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/collective.h"
#include "core/data_parallel.h"
#include "core/data_transform.h"
#include "core/divergence.h"
#include "core/flow_matching.h"
#include "core/flow_model.h"
#include "core/jko_block.h"
#include "core/lr_schedule.h"
#include "core/plateau_stop.h"
#include "core/step_size.h"
#include "core/velocity_field.h"

namespace torch::optim {
class Adam;  // <torch/optim/adam.h>; only the trainer's .cc needs it
}  // namespace torch::optim

namespace jkoflow {

// TrainerOptions are the hyper-parameters of progressive JKO training.
// The defaults were chosen by measurement with `jkoflow-bench
// --suite=quality` (bench/README.md): against the authors' setup (6 × 500
// iterations, batch 2000, constant 1e-3) a cosine schedule with a 6× higher
// peak on quarter-size batches reaches as good or better models in under a
// third of the time. At a fixed number of points seen, more and smaller
// steps won: 400 × 500 beat 200 × 1000 and 120 × 2000 on sharp 2-D sets.
struct TrainerOptions {
  int64_t max_blocks = 6;
  int64_t iterations_per_block = 400;
  int64_t batch_size = 500;
  double learning_rate = 6e-3;  // the peak rate of `lr_schedule`
  LrSchedule lr_schedule;
  // Per-block stopping rule on held-out points (off when eval_every is 0).
  PlateauOptions plateau;
  // Points set aside (by seed) for the validation gate, the best-weights
  // rule and the stopping rule, when any is on: min(holdout_points, n / 10,
  // n − batch_size); they never enter a training batch. With none to spare
  // those rules are off.
  int64_t holdout_points = 2000;
  // The validation gate: a trained block is kept only if it lowers the
  // held-out negative log-likelihood (E[V(T(x)) − ∫div f − V(x)] below
  // −kMinValidationGain on the held-out rows, exact divergence); otherwise
  // training stops with
  // the blocks before it, so a model is never worse on held-out points
  // than the model it started from (with whitening: the Gaussian fit).
  // Off with fewer than kMinValidationRows held-out rows.
  bool validation_gate = true;
  // Every validation_every iterations (and at the last one) the block's
  // held-out loss is measured and the block ends with its best weights
  // (0: the last weights). Off with fewer than kMinValidationRows held-out
  // rows.
  int64_t validation_every = 100;
  // The data's transform (core/data_transform.h), fitted on the training
  // rows and stored in the model; automatic by default.
  TransformSpec transform;
  // kFlowMatching trains one time-conditioned block by conditional flow
  // matching instead (core/flow_matching.h): iterations_per_block
  // iterations, steps × max_blocks RK4 steps (the integration cost of the
  // whole JKO flow); one process only.
  TrainingMethod method = TrainingMethod::kJko;
  double grad_clip_norm = 1.0;  // 0 disables clipping
  // L2 weight decay of Adam (0: none): a lever against a field that fits
  // a small training set.
  double weight_decay = 0.0;
  StepSizeSchedule step_size;
  // Stop adding blocks once StopQuantity() = ½ E|T(x) − x|² / h² <
  // stop_tolerance, in nats (0 disables the rule).
  double stop_tolerance = 0.001;
  // OU pre-smoothing time τ (0: none): x ← e^{−τ} x + √(1 − e^{−2τ}) ξ.
  double smoothing_tau = 0.0;
  bool warm_start = true;      // block k starts from block k−1's weights
  int64_t steps = 3;           // RK4 steps per block
  VelocityFieldOptions field;  // its dim is taken from the data
  // Divergence used by the training loss; unset:
  // DefaultTrainingDivergence(). Block statistics always use
  // DefaultDivergenceOptions(dim) (exact for small d).
  std::optional<DivergenceOptions> divergence;
  // Points (of the pushed training data) used for per-block statistics.
  int64_t stats_points = 2000;
  // Points n of the per-block diagnostics (DiagnoseBlock(), stored in
  // BlockStats::diagnostics): the held-out rows when there are any, else a
  // seeded choice of rows. 0 skips them; else in [2, 5000].
  int64_t diagnostic_points = 2000;
  uint64_t seed = 0;
  torch::Device device = torch::Device("cpu");
};

// kMinValidationRows is the fewest held-out rows the validation gate and
// the best-weights rule act on: with fewer, the held-out estimates are too
// noisy to decide by (their standard error is of the size of the gains).
inline constexpr int64_t kMinValidationRows = 100;

// kMinValidationGain is the least a block must lower the held-out negative
// log-likelihood by (nats per point) for the validation gate to keep it.
inline constexpr double kMinValidationGain = 1e-4;

// kExactTrainingMaxDim is the largest dimension trained with the exact
// divergence by default: there the exact trace costs two tangent passes
// against one for a probe (1.3× per iteration) and removes the estimator's
// noise, which measurably cost quality on sharp 2-D densities.
inline constexpr int64_t kExactTrainingMaxDim = 2;

// DefaultTrainingDivergence() is the divergence of the training loss when
// none is given: exact for dim ≤ kExactTrainingMaxDim, otherwise one
// Rademacher Hutchinson probe (an unbiased estimate, 4× cheaper than the
// exact trace at d = 10; the authors' code uses one Gaussian probe through
// a finite difference).
DivergenceOptions DefaultTrainingDivergence(int64_t dim);

// ValidateTrainerOptions() checks every field (the scalar ones against
// TrainerOptionTable()'s ranges) and the batch against the data size; the
// error names the field and its limit.
absl::Status ValidateTrainerOptions(const TrainerOptions& options,
                                    int64_t num_points);

// IterationProgress is reported after every optimisation step.
struct IterationProgress {
  int64_t block = 0;       // 1-based index of the block being trained
  int64_t iteration = 0;   // 1-based
  int64_t iterations = 0;  // per block (the budget; a plateau may stop early)
  double h = 0;
  double learning_rate = 0;  // used by this iteration
  double loss = 0;
  double potential = 0;
  double neg_divergence = 0;
  double movement_term = 0;
  double block_seconds = 0;  // since this block started
};

// ProgressCallback receives each iteration's progress (on the training
// thread; keep it cheap). CancelCheck returns true to stop training; it is
// polled before every iteration.
using ProgressCallback = std::function<void(const IterationProgress&)>;
using CancelCheck = std::function<bool()>;

// ProgressiveTrainer trains a FlowModel one JKO block at a time on a fixed
// data set. Block k trains on the data pushed through blocks 1..k−1 (frozen),
// pushed once per block. Every block's randomness derives from (seed, k), so
// training resumed on a model holding blocks 1..k−1 gives the same block k as
// an uninterrupted run. Not thread-safe; one trainer per training job.
//
// Data parallel (a Collective of W > 1 ranks, each with its own trainer on
// the same data and options; core/data_parallel.h): every rank draws the same
// global batch and probes and computes the gradient of its ShareOfRows() of
// them; gradients, loss terms and the cancel vote are summed in one all-reduce
// before each Adam step, so every rank takes the same step as one trainer with
// the same global batch would (up to float32 reduction order). Pushes through
// the blocks are split by rows and gathered; held-out losses and block
// statistics (loss terms, movement, inversion error) are computed on each
// rank's share of the rows and reduced, and every rank then keeps rank 0's
// statistics, which decide the stop rule and the next step size.
// Diagnostics run on rank 0 only.
class ProgressiveTrainer {
 public:
  // Create() validates the options and takes the data [n, dim] (any float
  // dtype or device; copied to the trainer's device as float32), fits the
  // transform on the training rows and trains in its space. With a
  // `collective` of W > 1 ranks, training is data parallel over them (the
  // batch must have at least W rows); the collective must outlive the
  // trainer.
  // With `transform` (a model's own, when training continues a model) it is
  // used as it is instead of being fitted.
  static absl::StatusOr<std::unique_ptr<ProgressiveTrainer>> Create(
      const TrainerOptions& options, const torch::Tensor& data,
      std::shared_ptr<Collective> collective = nullptr,
      const DataTransform* transform = nullptr);

  // NewModel() returns an empty model for this data: dim, device, smoothing
  // τ and the provenance's seed and hyper-parameters filled in.
  FlowModel NewModel(const std::string& dataset_name) const;

  // TrainNextBlock() trains block model.num_blocks() + 1 and appends it.
  // Returns true when the stop rule says no further block is needed (with
  // flow matching, after its one block), or when the validation gate
  // dropped the block (the model is then unchanged).
  // Returns CANCELLED (and leaves the model unchanged) when `cancel` fires.
  absl::StatusOr<bool> TrainNextBlock(
      FlowModel& model, const ProgressCallback& progress = nullptr,
      const CancelCheck& cancel = nullptr);

  // Train() calls TrainNextBlock() until max_blocks or the stop rule.
  absl::Status Train(FlowModel& model,
                     const ProgressCallback& progress = nullptr,
                     const CancelCheck& cancel = nullptr);

  const TrainerOptions& options() const { return options_; }
  int64_t dim() const { return dim_; }

 private:
  ProgressiveTrainer(const TrainerOptions& options, torch::Tensor data,
                     int64_t holdout_rows, DataTransform transform,
                     torch::Tensor raw_train,
                     std::shared_ptr<Collective> collective);

  // MapAll() is block.Map(x) in row chunks, shared among the ranks.
  absl::StatusOr<torch::Tensor> MapAll(const JkoBlock& block,
                                       const torch::Tensor& x) const;

  // HeldOutGain() is the trained block's change of the held-out negative
  // log-likelihood, E[V(T(x)) − ∫div f − V(x)] over the held-out rows
  // (exact divergence; summed over the ranks).
  absl::StatusOr<double> HeldOutGain(const JkoBlock& block,
                                     const torch::Tensor& pushed) const;

  // BlockContext is what one block's iterations report against.
  struct BlockContext {
    int64_t k;            // 1-based block index
    uint64_t block_seed;  // the block's randomness, from (seed, k)
    double h;
    std::chrono::steady_clock::time_point start;
    const ProgressCallback& progress;
    const CancelCheck& cancel;
    const FlowModel* model = nullptr;  // the blocks before this one
  };

  // TrainedBlock is one trained, frozen block with the pushed data mapped
  // through it and its statistics.
  struct TrainedBlock {
    JkoBlock block;
    torch::Tensor mapped;
    BlockStats stats;
  };

  // TrainBlockAt() trains block `context.k` at step size `context.h` from
  // NewBlock(); deterministic per (block seed, h).
  absl::StatusOr<TrainedBlock> TrainBlockAt(const FlowModel& model,
                                            const torch::Tensor& pushed,
                                            BlockContext context);

  // EvenOutMovement() is the adaptive step rule (docs/design.md §3) on block
  // k's own movement S_k: while S_k misses the mean movement of the earlier
  // blocks (`displacements`) by more than kAdaptiveTolerance, h_k is
  // corrected by CorrectStepSize() and the block retrained, at most
  // kAdaptiveRetries times; returns the attempt closest to the target.
  absl::StatusOr<TrainedBlock> EvenOutMovement(
      const FlowModel& model, const torch::Tensor& pushed, BlockContext context,
      const std::vector<double>& displacements, TrainedBlock trained);

  // Diagnose() runs DiagnoseBlock() on block k (1-based) with
  // diagnostic_points of its input (`pushed`): the held-out rows, else a
  // seeded choice; on block 1 it also measures W2²(p_0, N(0, I)).
  absl::StatusOr<BlockDiagnostics> Diagnose(const JkoBlock& block,
                                            const torch::Tensor& pushed,
                                            int64_t k,
                                            uint64_t block_seed) const;

  // NewBlock() is block k's starting point: fresh weights from
  // `block_seed` with the trainer's block configuration (steps, field)
  // and, with warm_start, the last block's weights copied in where the
  // shapes allow; gradients on.
  JkoBlock NewBlock(const FlowModel& model, double h,
                    uint64_t block_seed) const;

  // FreshBatch() is the batch of training rows `index` with a fresh
  // dequantisation (u from `generator`), pushed through the model's
  // blocks: for integer data every batch sees new noise, an augmentation
  // that does not change the density being fitted.
  absl::StatusOr<torch::Tensor> FreshBatch(const FlowModel& model,
                                           const torch::Tensor& index,
                                           at::Generator& generator) const;

  // BatchLoss() draws a batch of training rows (for integer data freshly
  // dequantised, FreshBatch()) and returns this rank's share of its loss:
  // the JKO loss, or the flow-matching loss in `total` (other terms 0).
  absl::StatusOr<LossTerms> BatchLoss(const JkoBlock& block,
                                      const torch::Tensor& pushed,
                                      at::Generator& generator,
                                      const BlockContext& context) const;

  // ReportIteration() passes iteration `it`'s figures to the progress
  // callback, if any.
  void ReportIteration(const BlockContext& context, int64_t it, double rate,
                       const LossTerms& terms) const;

  // RunIterations() optimises `block` on batches of the pushed training rows
  // and returns the number of iterations run (fewer than the budget when the
  // plateau rule stops it).
  absl::StatusOr<int64_t> RunIterations(JkoBlock& block,
                                        const torch::Tensor& pushed,
                                        at::Generator& generator,
                                        const BlockContext& context);

  // Step() is iteration `it` of RunIterations(): the scheduled learning
  // rate, the batch loss, the gradients summed over the ranks, clipping and
  // the Adam update, then the progress report. CANCELLED when a rank voted
  // to stop; INTERNAL when the loss is not finite.
  absl::Status Step(JkoBlock& block, const torch::Tensor& pushed,
                    at::Generator& generator, const BlockContext& context,
                    torch::optim::Adam& optimizer, int64_t it);

  // HeldOutLoss() is the block's loss on the held-out rows, with probes
  // fixed by `block_seed`.
  absl::StatusOr<double> HeldOutLoss(const JkoBlock& block,
                                     const torch::Tensor& pushed,
                                     uint64_t block_seed) const;

  // BlockStatistics() measures the frozen `block` on the pushed data
  // (`mapped` = block.Map(pushed)): loss terms with the evaluation
  // divergence on FixedRows(), movement and inversion error, and the KL
  // decrease on FixedRows() (KlDecrease(); for the first block, with the
  // training rows as the reference of its control variates when the fixed
  // rows are held out).
  absl::StatusOr<BlockStats> BlockStatistics(const JkoBlock& block,
                                             const torch::Tensor& pushed,
                                             const torch::Tensor& mapped,
                                             bool first_block,
                                             at::Generator& generator) const;

  // FixedRows() is `count` row indices [m ≤ count], the same for every
  // block so that block-to-block differences are paired: the first
  // held-out rows when some are set aside, else the first `count` of one
  // seeded permutation of all rows. The per-block loss terms and KL
  // decrease use FixedRows(stats_points), the diagnostics
  // FixedRows(diagnostic_points): one index set, pushed through every
  // block.
  torch::Tensor FixedRows(int64_t count) const;

  // KlDecrease() fills stats.kl_decrease and its standard errors from the
  // rows `before` [m, d] of the block's input: per row, |x|²/2 − |T(x)|²/2
  // + ∫div f, whose mean is KL(p_{k−1}) − KL(p_k). With `reference`
  // (other rows of the same input, independent of `before`; may be
  // undefined) the mean takes ControlFeatures() of x as control variates
  // (ControlledMean()); the unpaired error stays that of the plain ends.
  absl::Status KlDecrease(const JkoBlock& block, const torch::Tensor& before,
                          const torch::Tensor& reference,
                          at::Generator& generator, BlockStats& stats) const;

  // PushedData() returns the data pushed through all blocks of `model`,
  // reusing the cached push when the model grew by one block since.
  absl::StatusOr<torch::Tensor> PushedData(const FlowModel& model);

  TrainerOptions options_;
  int64_t dim_;
  // Training rows [0, train_rows) and held-out rows after them.
  int64_t train_rows() const { return data_.size(0) - holdout_rows_; }

  torch::Tensor data_;  // [n, dim] float32, smoothed, transformed, on device
  int64_t holdout_rows_ = 0;
  DataTransform transform_;  // fitted on the training rows
  // For integer data: the training rows before the transform, [n_train, dim]
  // float32 on the device (FreshBatch() dequantises them anew); else
  // undefined.
  torch::Tensor raw_train_;
  // data_ pushed through the blocks pushed_through_ names.
  torch::Tensor pushed_;
  // The velocity fields pushed_ went through, in order (cache key).
  std::vector<const void*> pushed_through_;
  // How the work is shared among ranks (one process: straight through).
  std::unique_ptr<Parallelism> parallel_;
};

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_PROGRESSIVE_TRAINER_H_
