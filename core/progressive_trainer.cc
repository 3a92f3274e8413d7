#include "core/progressive_trainer.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adam.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "core/block_diagnostics.h"
#include "core/control_variate.h"
#include "core/row_chunks.h"
#include "core/torch_status.h"
#include "core/trainer_option_table.h"

namespace jkoflow {
namespace {

// MixSeed() derives independent per-purpose seeds (splitmix64).
uint64_t MixSeed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr uint64_t kSmoothingStream = 0;
constexpr uint64_t kHoldoutStream = 1;
constexpr uint64_t kDiagnosticStream = 2;
constexpr uint64_t kTransformStream = 3;
constexpr uint64_t kHoldoutDequantizeStream = 4;
constexpr uint64_t kStatsRowsStream = 5;
constexpr uint64_t kBlockStreamBase = 1000;

// CopyMatchingWeights() copies `from`'s parameters into `to` when both
// have the same parameter shapes (a warm start); otherwise `to` keeps its
// fresh weights. True when copied.
bool CopyMatchingWeights(const VelocityFieldImpl& from, VelocityFieldImpl& to) {
  const std::vector<torch::Tensor> source = from.parameters();
  std::vector<torch::Tensor> target = to.parameters();
  if (source.size() != target.size()) return false;
  for (size_t i = 0; i < source.size(); ++i) {
    if (!source[i].sizes().equals(target[i].sizes())) return false;
  }
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < source.size(); ++i) {
    target[i].copy_(source[i]);
  }
  return true;
}

// StartAsIdentity() zeroes the block's output layer, so that its map is
// the identity (as Glow's last layers start): an untrained block then
// leaves the model as it was instead of moving the points at random, and
// training can only improve on it.
void StartAsIdentity(JkoBlock& block) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> params = block.field()->parameters();
  params[params.size() - 2].zero_();  // last weight
  params[params.size() - 1].zero_();  // last bias
}

// TransformedRows are the rows the flow trains on (the training rows,
// then the held-out ones) and the transform that made them.
struct TransformedRows {
  DataTransform transform;
  torch::Tensor rows;  // [n, transform.FlowDim()] float32 CPU
};

// TransformRows() fits options.transform on the first `train` rows of x
// (or uses `transform`, a model's own, when given), maps them, and maps
// the held-out rows after them with their own dequantisation noise;
// INVALID_ARGUMENT when a mapped row is not finite.
absl::StatusOr<TransformedRows> TransformRows(const TrainerOptions& options,
                                              const torch::Tensor& x,
                                              int64_t train,
                                              const DataTransform* transform) {
  torch::Tensor flow_rows;
  DataTransform fitted(x.size(1));
  if (transform != nullptr) {
    fitted = *transform;
    ASSIGN_OR_RETURN(auto mapped,
                     fitted.Forward(x.narrow(0, 0, train),
                                    MixSeed(options.seed, kTransformStream),
                                    torch::kFloat32));
    flow_rows = mapped.first;
  } else {
    ASSIGN_OR_RETURN(
        fitted,
        FitTransform(options.transform, x.narrow(0, 0, train),
                     MixSeed(options.seed, kTransformStream), &flow_rows));
  }
  const int64_t holdout = x.size(0) - train;
  if (holdout > 0) {
    ASSIGN_OR_RETURN(
        auto mapped,
        fitted.Forward(x.narrow(0, train, holdout),
                       MixSeed(options.seed, kHoldoutDequantizeStream),
                       torch::kFloat32));
    flow_rows = torch::cat({flow_rows, mapped.first});
  }
  if (!torch::isfinite(flow_rows).all().item<bool>()) {
    return absl::InvalidArgumentError(
        "data: not finite once transformed (a point outside the "
        "transform's support?)");
  }
  // With a projection the blocks see only the first FlowDim() columns.
  flow_rows = flow_rows.narrow(1, 0, fitted.FlowDim());
  return TransformedRows{std::move(fitted), std::move(flow_rows)};
}

// BestWeights keeps a copy of a block's weights at its lowest held-out
// loss so far, and the iteration of the last measurement.
class BestWeights {
 public:
  // Observe() records the held-out `loss` measured at iteration `it`.
  void Observe(int64_t it, double loss, const VelocityFieldImpl& field) {
    measured_at_ = it;
    if (!(loss < best_)) return;
    best_ = loss;
    best_at_ = it;
    torch::NoGradGuard no_grad;
    weights_.clear();
    for (const auto& p : field.parameters()) {
      weights_.push_back(p.detach().clone());
    }
  }
  int64_t measured_at() const { return measured_at_; }
  // Restore() copies the best weights into `field`, unless they are the
  // ones of iteration `last` (the field's own).
  void Restore(int64_t last, VelocityFieldImpl& field) const {
    if (best_at_ == last || weights_.empty()) return;
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> params = field.parameters();
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(weights_[i]);
  }

 private:
  double best_ = std::numeric_limits<double>::infinity();
  int64_t best_at_ = 0;
  int64_t measured_at_ = 0;
  std::vector<torch::Tensor> weights_;
};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
      .count();
}

}  // namespace

DivergenceOptions DefaultTrainingDivergence(int64_t dim) {
  DivergenceOptions options;
  if (dim > kExactTrainingMaxDim) {
    options.method = DivergenceMethod::kHutchinson;
    options.probes = 1;
  }
  return options;
}

absl::Status ValidateTrainerOptions(const TrainerOptions& o,
                                    int64_t num_points) {
  for (const TrainerOptionSpec& spec : TrainerOptionTable()) {
    RETURN_IF_ERROR(CheckTrainerOption(spec, spec.name, spec.get(o)));
  }
  if (o.batch_size > num_points) {
    return absl::InvalidArgumentError(absl::StrCat("batch_size: ", o.batch_size,
                                                   " is larger than the data (",
                                                   num_points, " points)"));
  }
  RETURN_IF_ERROR(ValidateLrSchedule(o.lr_schedule));
  RETURN_IF_ERROR(ValidatePlateauOptions(o.plateau));
  RETURN_IF_ERROR(ValidateVelocityFieldOptions(o.field));
  if (o.divergence.has_value()) {
    RETURN_IF_ERROR(ValidateDivergenceOptions(*o.divergence));
  }
  return absl::OkStatus();
}

ProgressiveTrainer::ProgressiveTrainer(const TrainerOptions& options,
                                       torch::Tensor data, int64_t holdout_rows,
                                       DataTransform transform,
                                       torch::Tensor raw_train,
                                       std::shared_ptr<Collective> collective)
    : options_(options),
      dim_(data.size(1)),
      data_(std::move(data)),
      holdout_rows_(holdout_rows),
      transform_(std::move(transform)),
      raw_train_(std::move(raw_train)),
      parallel_(DataParallel(std::move(collective))) {
  options_.field.dim(dim_);
  if (!options_.divergence.has_value()) {
    options_.divergence = DefaultTrainingDivergence(dim_);
  }
}

absl::StatusOr<std::unique_ptr<ProgressiveTrainer>> ProgressiveTrainer::Create(
    const TrainerOptions& options, const torch::Tensor& data,
    std::shared_ptr<Collective> collective, const DataTransform* transform) {
  RETURN_IF_ERROR(
      ValidatePoints(data, data.dim() == 2 ? data.size(1) : 0, "data"));
  TrainerOptions checked = options;
  checked.field.dim(data.size(1));
  RETURN_IF_ERROR(ValidateTrainerOptions(checked, data.size(0)));
  if (collective != nullptr && collective->world_size() > 1 &&
      options.method == TrainingMethod::kFlowMatching) {
    return absl::UnimplementedError(
        "method: flow_matching trains in one process only");
  }
  if (collective != nullptr && options.batch_size < collective->world_size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "batch_size: ", options.batch_size, " is smaller than the ",
        collective->world_size(), " ranks that share each batch"));
  }
  return GuardTorch(
      [&]() -> absl::StatusOr<std::unique_ptr<ProgressiveTrainer>> {
        torch::NoGradGuard no_grad;
        torch::Tensor x = data.to(torch::kCPU, torch::kFloat32).contiguous();
        if (options.smoothing_tau > 0) {
          at::Generator generator = at::detail::createCPUGenerator(
              MixSeed(options.seed, kSmoothingStream));
          const double decay = std::exp(-options.smoothing_tau);
          const double noise = std::sqrt(1 - decay * decay);
          x = decay * x +
              noise * at::randn(x.sizes(), generator, torch::kFloat32);
        }
        // Held-out rows for the validation rules: a seeded choice, moved
        // last, never so many that a batch no longer fits in the rest.
        int64_t holdout = 0;
        if (options.plateau.eval_every > 0 || options.validation_gate ||
            options.validation_every > 0) {
          holdout = std::min({options.holdout_points, x.size(0) / 10,
                              x.size(0) - options.batch_size});
          if (holdout > 0) {
            at::Generator split = at::detail::createCPUGenerator(
                MixSeed(options.seed, kHoldoutStream));
            x = x.index_select(0, at::randperm(x.size(0), split, torch::kLong));
          }
        }
        const int64_t train = x.size(0) - holdout;
        ASSIGN_OR_RETURN(TransformedRows mapped,
                         TransformRows(options, x, train, transform));
        DataTransform& fitted = mapped.transform;
        const torch::Tensor& flow_rows = mapped.rows;
        torch::Tensor raw_train;
        if (fitted.Integer()) {
          raw_train = x.narrow(0, 0, train).contiguous().to(options.device);
        }
        return std::unique_ptr<ProgressiveTrainer>(new ProgressiveTrainer(
            options, flow_rows.contiguous().to(options.device), holdout,
            std::move(fitted), std::move(raw_train), std::move(collective)));
      });
}

FlowModel ProgressiveTrainer::NewModel(const std::string& dataset_name) const {
  FlowModel model(transform_.dim(), options_.device, torch::kFloat32);
  model.set_smoothing_tau(options_.smoothing_tau);
  model.set_transform(transform_).IgnoreError();  // same dim by construction
  Provenance provenance;
  provenance.dataset = dataset_name;
  provenance.seed = options_.seed;
  const TrainerOptions& o = options_;
  for (const TrainerOptionSpec& spec : TrainerOptionTable()) {
    provenance.hyperparameters.emplace_back(spec.name,
                                            FormatTrainerOption(spec, o));
    // The held-out rows actually set aside, which may be fewer.
    if (spec.name == std::string("holdout_points")) {
      provenance.hyperparameters.back().second = absl::StrCat(holdout_rows_);
    }
  }
  const DivergenceOptions& div = *o.divergence;
  provenance.hyperparameters.insert(
      provenance.hyperparameters.end(),
      {{"lr_schedule", LrScheduleKindName(o.lr_schedule.kind)},
       {"activation", ActivationName(o.field.activation())},
       {"divergence", DivergenceMethodName(div.method)},
       {"probes", absl::StrCat(div.probes)},
       {"method", TrainingMethodName(o.method)},
       {"transform", TransformSpecName(o.transform)},
       {"fitted_transform", transform_.Describe()},
       {"training_points", absl::StrCat(train_rows())}});
  model.set_provenance(std::move(provenance));
  return model;
}

absl::StatusOr<torch::Tensor> ProgressiveTrainer::PushedData(
    const FlowModel& model) {
  std::vector<const void*> blocks;
  for (int64_t i = 0; i < model.num_blocks(); ++i) {
    blocks.push_back(model.block(i).field().get());
  }
  const bool extends_cache = pushed_.defined() &&
                             pushed_through_.size() <= blocks.size() &&
                             std::equal(pushed_through_.begin(),
                                        pushed_through_.end(), blocks.begin());
  if (!extends_cache) {
    pushed_ = data_;
    pushed_through_.clear();
  }
  torch::NoGradGuard no_grad;
  for (size_t i = pushed_through_.size(); i < blocks.size(); ++i) {
    ASSIGN_OR_RETURN(pushed_, MapAll(model.block(i), pushed_));
    pushed_through_.push_back(blocks[i]);
  }
  return pushed_;
}

absl::StatusOr<bool> ProgressiveTrainer::TrainNextBlock(
    FlowModel& model, const ProgressCallback& progress,
    const CancelCheck& cancel) {
  if (model.FlowDim() != dim_) {
    return absl::InvalidArgumentError(
        absl::StrCat("model: its blocks' dimension ", model.FlowDim(),
                     " does not match the data's ", dim_));
  }
  if (model.device() != options_.device) {
    return absl::InvalidArgumentError(
        "model: lives on another device than the trainer");
  }
  const bool flow_matching = options_.method == TrainingMethod::kFlowMatching;
  if (flow_matching && model.num_blocks() > 0) return true;  // one block
  ASSIGN_OR_RETURN(torch::Tensor pushed, PushedData(model));
  const int64_t k = model.num_blocks() + 1;  // 1-based index of the new block
  const uint64_t block_seed = MixSeed(options_.seed, kBlockStreamBase + k);

  std::vector<double> previous_h, displacements;
  for (int64_t i = 0; i < model.num_blocks(); ++i) {
    previous_h.push_back(model.block(i).config().h);
    displacements.push_back(model.stats(i).mean_displacement);
  }
  const double proposal =
      flow_matching
          ? 1.0
          : NextStepSize(options_.step_size, previous_h, displacements);

  return GuardTorch([&]() -> absl::StatusOr<bool> {
    BlockContext context{k, block_seed, proposal, {}, progress, cancel, &model};
    ASSIGN_OR_RETURN(TrainedBlock trained,
                     TrainBlockAt(model, pushed, context));
    if (options_.step_size.adaptive && !displacements.empty() &&
        !flow_matching) {
      ASSIGN_OR_RETURN(trained,
                       EvenOutMovement(model, pushed, context, displacements,
                                       std::move(trained)));
    }
    // The validation gate: a block that does not lower the held-out
    // negative log-likelihood is dropped, and training stops here.
    if (options_.validation_gate && holdout_rows_ >= kMinValidationRows) {
      ASSIGN_OR_RETURN(const double gain, HeldOutGain(trained.block, pushed));
      if (!(gain < -kMinValidationGain)) return true;
    }
    if (options_.diagnostic_points > 0 && parallel_->IsRoot()) {
      ASSIGN_OR_RETURN(trained.stats.diagnostics,
                       Diagnose(trained.block, pushed, k, block_seed));
    }
    RETURN_IF_ERROR(model.AppendBlock(trained.block, trained.stats));
    pushed_ = trained.mapped;
    pushed_through_.push_back(trained.block.field().get());
    return flow_matching || StopRuleMet(trained.stats, trained.block.config().h,
                                        options_.stop_tolerance);
  });
}

absl::StatusOr<ProgressiveTrainer::TrainedBlock>
ProgressiveTrainer::TrainBlockAt(const FlowModel& model,
                                 const torch::Tensor& pushed,
                                 BlockContext context) {
  context.start = std::chrono::steady_clock::now();
  JkoBlock block = NewBlock(model, context.h, context.block_seed);
  // A warm start is kept only where it starts better than the identity on
  // the held-out rows (whose loss is then E V(x)): on data already close
  // to N(0, I), the last block's map applied again overshoots.
  if (options_.warm_start && model.num_blocks() > 0 &&
      options_.method == TrainingMethod::kJko &&
      holdout_rows_ >= kMinValidationRows) {
    ASSIGN_OR_RETURN(const double warm,
                     HeldOutLoss(block, pushed, context.block_seed));
    const double identity = 0.5 * pushed.narrow(0, train_rows(), holdout_rows_)
                                      .pow(2)
                                      .sum(1)
                                      .mean()
                                      .item<double>();
    if (!(warm < identity)) StartAsIdentity(block);
  }
  at::Generator generator = at::detail::createCPUGenerator(context.block_seed);
  ASSIGN_OR_RETURN(const int64_t iterations,
                   RunIterations(block, pushed, generator, context));
  const double train_seconds = Seconds(context.start);
  for (auto& p : block.field()->parameters()) p.set_requires_grad(false);
  torch::NoGradGuard no_grad;
  ASSIGN_OR_RETURN(torch::Tensor mapped, MapAll(block, pushed));
  ASSIGN_OR_RETURN(
      BlockStats stats,
      BlockStatistics(block, pushed, mapped, context.k == 1, generator));
  RETURN_IF_ERROR(parallel_->AgreeOnStats(stats, options_.device));
  stats.iterations = iterations;
  stats.train_seconds = train_seconds;
  return TrainedBlock{std::move(block), std::move(mapped), stats};
}

absl::StatusOr<ProgressiveTrainer::TrainedBlock>
ProgressiveTrainer::EvenOutMovement(const FlowModel& model,
                                    const torch::Tensor& pushed,
                                    BlockContext context,
                                    const std::vector<double>& displacements,
                                    TrainedBlock trained) {
  const double target = MeanMovement(displacements);
  const auto miss = [target](const TrainedBlock& b) {
    return std::abs(b.stats.mean_displacement / target - 1);
  };
  double seconds = trained.stats.train_seconds;
  for (int retry = 0;
       retry < kAdaptiveRetries && miss(trained) > kAdaptiveTolerance;
       ++retry) {
    const double h = CorrectStepSize(options_.step_size, context.h, target,
                                     trained.stats.mean_displacement);
    if (h == context.h) break;  // at the cap (or the floor): nothing to try
    context.h = h;
    ASSIGN_OR_RETURN(TrainedBlock again, TrainBlockAt(model, pushed, context));
    seconds += again.stats.train_seconds;
    if (miss(again) < miss(trained)) trained = std::move(again);
  }
  trained.stats.train_seconds = seconds;  // every attempt counts
  return trained;
}

absl::StatusOr<BlockDiagnostics> ProgressiveTrainer::Diagnose(
    const JkoBlock& block, const torch::Tensor& pushed, int64_t k,
    uint64_t block_seed) const {
  const uint64_t seed = MixSeed(block_seed, kDiagnosticStream);
  DiagnosticOptions options;
  options.points = options_.diagnostic_points;
  options.start_distance = k == 1;
  // The held-out rows when at least 2 are set aside (DiagnoseBlock needs
  // 2), else the fixed rows of the statistics.
  const torch::Tensor points =
      holdout_rows_ >= 2 && holdout_rows_ < kMinValidationRows
          ? pushed.narrow(0, train_rows(), holdout_rows_)
          : pushed.index_select(0,
                                FixedRows(options.points).to(pushed.device()));
  return DiagnoseBlock(block, points, seed, options);
}

JkoBlock ProgressiveTrainer::NewBlock(const FlowModel& model, double h,
                                      uint64_t block_seed) const {
  JkoBlockConfig config;
  config.h = h;
  config.steps = options_.steps;
  config.field = options_.field;
  if (options_.method == TrainingMethod::kFlowMatching) {
    // One block integrated with the RK4 steps of the whole JKO flow.
    config.steps =
        std::min<int64_t>(10000, options_.steps * options_.max_blocks);
    config.field.time_input(true);
  }
  // Validated with the options in Create().
  JkoBlock block = JkoBlock::Create(config, block_seed).value();
  const bool warm =
      options_.warm_start && model.num_blocks() > 0 &&
      // Only the weights: steps, activation and β are this block's own.
      CopyMatchingWeights(*model.block(model.num_blocks() - 1).field(),
                          *block.field());
  if (!warm) StartAsIdentity(block);
  block.field()->to(options_.device, torch::kFloat32);
  for (auto& p : block.field()->parameters()) p.set_requires_grad(true);
  return block;
}

absl::StatusOr<double> ProgressiveTrainer::HeldOutLoss(
    const JkoBlock& block, const torch::Tensor& pushed,
    uint64_t block_seed) const {
  torch::NoGradGuard no_grad;
  // The same probes at every evaluation, so losses compare parameters only.
  at::Generator probes =
      at::detail::createCPUGenerator(MixSeed(block_seed, kHoldoutStream));
  if (options_.method == TrainingMethod::kFlowMatching) {
    ASSIGN_OR_RETURN(
        torch::Tensor loss,
        FlowMatchingLoss(*block.field(),
                         pushed.narrow(0, train_rows(), holdout_rows_),
                         probes));
    return loss.item<double>();
  }
  ASSIGN_OR_RETURN(
      LossTerms share,
      parallel_->ShareLoss(block, pushed.narrow(0, train_rows(), holdout_rows_),
                           {}, *options_.divergence, probes));
  ASSIGN_OR_RETURN(LossTerms terms, parallel_->SumTerms(share));
  return terms.total.item<double>();
}

absl::StatusOr<double> ProgressiveTrainer::HeldOutGain(
    const JkoBlock& block, const torch::Tensor& pushed) const {
  torch::NoGradGuard no_grad;
  const torch::Tensor rows = pushed.narrow(0, train_rows(), holdout_rows_);
  const RankRows share = parallel_->Share(holdout_rows_);
  DivergenceOptions exact;
  exact.method = DivergenceMethod::kExact;
  const torch::Tensor mine = rows.narrow(0, share.begin, share.count);
  torch::Tensor sum = torch::zeros({1}, rows.options().dtype(torch::kFloat64));
  if (share.count > 0) {
    // Row chunks bound the memory of the d tangents (or of the hidden trace).
    auto run =
        [&](const std::vector<torch::Tensor>& in,
            const StopCheck&) -> absl::StatusOr<std::vector<torch::Tensor>> {
      const torch::Tensor& x = in[0];
      at::Generator unused = at::detail::createCPUGenerator(0);
      ASSIGN_OR_RETURN(OdeSolution solution,
                       block.MapWithDivergence(x, exact, unused));
      return std::vector<torch::Tensor>{0.5 * solution.x.pow(2).sum(1) -
                                        solution.divergence_integral -
                                        0.5 * x.pow(2).sum(1)};
    };
    ASSIGN_OR_RETURN(std::vector<torch::Tensor> gain,
                     MapRowChunks({mine}, kInferenceChunkRows, nullptr, run));
    sum = gain[0].to(torch::kFloat64).sum().reshape({1});
  }
  RETURN_IF_ERROR(parallel_->Sum(sum));
  return sum.item<double>() / holdout_rows_;
}

absl::StatusOr<torch::Tensor> ProgressiveTrainer::FreshBatch(
    const FlowModel& model, const torch::Tensor& index,
    at::Generator& generator) const {
  torch::NoGradGuard no_grad;
  const uint64_t seed =
      static_cast<uint64_t>(at::randint(std::numeric_limits<int64_t>::max(),
                                        {1}, generator, torch::kLong)
                                .item<int64_t>());
  ASSIGN_OR_RETURN(auto mapped,
                   transform_.Forward(raw_train_.index_select(0, index), seed,
                                      torch::kFloat32));
  torch::Tensor x = mapped.first.narrow(1, 0, transform_.FlowDim());
  for (int64_t i = 0; i < model.num_blocks(); ++i) {
    ASSIGN_OR_RETURN(x, model.block(i).Map(x));
  }
  return x;
}

absl::StatusOr<LossTerms> ProgressiveTrainer::BatchLoss(
    const JkoBlock& block, const torch::Tensor& pushed,
    at::Generator& generator, const BlockContext& context) const {
  torch::Tensor index =
      at::randint(train_rows(), {options_.batch_size}, generator, torch::kLong)
          .to(pushed.device());
  // Integer data: the batch with fresh dequantisation noise.
  torch::Tensor source = pushed;
  if (raw_train_.defined() && context.model != nullptr) {
    ASSIGN_OR_RETURN(source, FreshBatch(*context.model, index, generator));
    index = torch::Tensor();
  }
  if (options_.method != TrainingMethod::kFlowMatching) {
    return parallel_->ShareLoss(block, source, index, *options_.divergence,
                                generator);
  }
  LossTerms share;
  ASSIGN_OR_RETURN(
      share.total,
      FlowMatchingLoss(*block.field(),
                       index.defined() ? source.index_select(0, index) : source,
                       generator));
  share.potential = share.neg_divergence = share.movement =
      torch::zeros({}, share.total.options());
  return share;
}

void ProgressiveTrainer::ReportIteration(const BlockContext& context,
                                         int64_t it, double rate,
                                         const LossTerms& terms) const {
  if (!context.progress) return;
  IterationProgress p;
  p.block = context.k;
  p.iteration = it;
  p.iterations = options_.iterations_per_block;
  p.h = context.h;
  p.learning_rate = rate;
  p.loss = terms.total.item<double>();
  p.potential = terms.potential.item<double>();
  p.neg_divergence = terms.neg_divergence.item<double>();
  p.movement_term = terms.movement.item<double>();
  p.block_seconds = Seconds(context.start);
  context.progress(p);
}

absl::Status ProgressiveTrainer::Step(
    JkoBlock& block, const torch::Tensor& pushed, at::Generator& generator,
    const BlockContext& context, torch::optim::Adam& optimizer, int64_t it) {
  const int64_t iterations = options_.iterations_per_block;
  const auto cancelled = [&] {
    return absl::CancelledError(absl::StrCat("training cancelled at block ",
                                             context.k, ", iteration ", it));
  };
  // Ranks vote on cancelling in the iteration's all-reduce, so that all
  // of them stop at the same iteration.
  const bool cancel_vote = context.cancel && context.cancel();
  if (cancel_vote && parallel_->CancelsAtOnce()) return cancelled();
  const double rate = LearningRateAt(options_.lr_schedule,
                                     options_.learning_rate, it, iterations);
  for (auto& group : optimizer.param_groups()) {
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(rate);
  }
  ASSIGN_OR_RETURN(LossTerms share,
                   BatchLoss(block, pushed, generator, context));
  optimizer.zero_grad();
  share.total.backward();
  ASSIGN_OR_RETURN(SummedStep step,
                   parallel_->SumStep(block, share, cancel_vote));
  if (step.cancelled) return cancelled();
  if (options_.grad_clip_norm > 0) {
    torch::nn::utils::clip_grad_norm_(block.field()->parameters(),
                                      options_.grad_clip_norm);
  }
  optimizer.step();
  if (!std::isfinite(step.terms.total.item<double>())) {
    return absl::InternalError(absl::StrCat(
        "training diverged: loss is not finite at block ", context.k,
        ", iteration ", it, " (try a smaller learning_rate or h)"));
  }
  ReportIteration(context, it, rate, step.terms);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ProgressiveTrainer::RunIterations(
    JkoBlock& block, const torch::Tensor& pushed, at::Generator& generator,
    const BlockContext& context) {
  torch::optim::Adam optimizer(block.field()->parameters(),
                               torch::optim::AdamOptions(options_.learning_rate)
                                   .weight_decay(options_.weight_decay));
  PlateauStop plateau(options_.plateau);
  const bool use_plateau = plateau.Enabled() && holdout_rows_ > 0;
  const int64_t iterations = options_.iterations_per_block;
  // The best weights on the held-out rows so far (validation_every).
  const int64_t every =
      holdout_rows_ >= kMinValidationRows ? options_.validation_every : 0;
  BestWeights best;
  const auto validate = [&](int64_t it) -> absl::StatusOr<double> {
    ASSIGN_OR_RETURN(const double held_out,
                     HeldOutLoss(block, pushed, context.block_seed));
    if (every > 0) best.Observe(it, held_out, *block.field());
    return held_out;
  };
  // Ends the block with its best weights, measured at `last` as well.
  const auto restore_best = [&](int64_t last) -> absl::Status {
    if (every <= 0) return absl::OkStatus();
    if (best.measured_at() != last) RETURN_IF_ERROR(validate(last).status());
    best.Restore(last, *block.field());
    return absl::OkStatus();
  };
  for (int64_t it = 1; it <= iterations; ++it) {
    RETURN_IF_ERROR(Step(block, pushed, generator, context, optimizer, it));
    const bool plateau_due = use_plateau && plateau.Due(it);
    if (plateau_due || (every > 0 && it % every == 0)) {
      ASSIGN_OR_RETURN(const double held_out, validate(it));
      if (plateau_due && plateau.Observe(it, held_out)) {
        RETURN_IF_ERROR(restore_best(it));
        return it;
      }
    }
  }
  RETURN_IF_ERROR(restore_best(iterations));
  return iterations;
}

absl::StatusOr<BlockStats> ProgressiveTrainer::BlockStatistics(
    const JkoBlock& block, const torch::Tensor& pushed,
    const torch::Tensor& mapped, bool first_block,
    at::Generator& generator) const {
  torch::NoGradGuard no_grad;
  BlockStats stats;
  const int64_t n = pushed.size(0);
  const torch::Tensor subset =
      FixedRows(options_.stats_points).to(pushed.device());
  const int64_t m = subset.size(0);
  // Block 1's input is the data itself: the training rows, apart from the
  // held-out ones, give its moments for the control variates (at most
  // kMaxReferenceRows of them, in their shuffled order, to bound memory;
  // their own error is part of the standard error).
  constexpr int64_t kMaxReferenceRows = 100000;
  const torch::Tensor reference =
      first_block && holdout_rows_ >= kMinValidationRows
          ? pushed.narrow(0, 0, std::min(train_rows(), kMaxReferenceRows))
          : torch::Tensor();
  RETURN_IF_ERROR(KlDecrease(block, pushed.index_select(0, subset), reference,
                             generator, stats));
  ASSIGN_OR_RETURN(
      LossTerms share,
      parallel_->ShareLoss(block, pushed, subset,
                           DefaultDivergenceOptions(dim_), generator));
  ASSIGN_OR_RETURN(LossTerms terms, parallel_->SumTerms(share));
  stats.potential = terms.potential.item<double>();
  stats.neg_divergence = terms.neg_divergence.item<double>();
  stats.movement_term = terms.movement.item<double>();
  stats.loss = terms.total.item<double>();
  // Movement over every row and the inversion error over the first m:
  // each rank sums its share of the rows, then the sums are reduced.
  const RankRows rows = parallel_->Share(n);
  const RankRows inverted = parallel_->Share(m);
  const torch::Tensor x = pushed.narrow(0, rows.begin, rows.count);
  const torch::Tensor y = mapped.narrow(0, rows.begin, rows.count);
  const torch::Tensor step = (y - x).pow(2).sum(1);
  ASSIGN_OR_RETURN(torch::Tensor back, block.Inverse(mapped.narrow(
                                           0, inverted.begin, inverted.count)));
  const torch::Tensor inversion =
      (back - pushed.narrow(0, inverted.begin, inverted.count)).pow(2).sum(1);
  torch::Tensor sums = torch::stack({step.sum(), step.sqrt().sum(),
                                     y.pow(2).sum(1).sum(), inversion.sum()})
                           .to(torch::kFloat64);
  RETURN_IF_ERROR(parallel_->Sum(sums));
  sums = sums.cpu();
  stats.movement = sums[0].item<double>() / n;
  stats.mean_displacement = sums[1].item<double>() / n;
  stats.relative_movement = sums[0].item<double>() / sums[2].item<double>();
  stats.inversion_error = sums[3].item<double>() / m;
  return stats;
}

torch::Tensor ProgressiveTrainer::FixedRows(int64_t count) const {
  const int64_t n = data_.size(0);
  if (holdout_rows_ >= kMinValidationRows) {
    return at::arange(train_rows(),
                      train_rows() + std::min(count, holdout_rows_),
                      torch::kLong);
  }
  at::Generator generator =
      at::detail::createCPUGenerator(MixSeed(options_.seed, kStatsRowsStream));
  return at::randperm(n, generator, torch::kLong)
      .narrow(0, 0, std::min(count, n));
}

absl::Status ProgressiveTrainer::KlDecrease(const JkoBlock& block,
                                            const torch::Tensor& before,
                                            const torch::Tensor& reference,
                                            at::Generator& generator,
                                            BlockStats& stats) const {
  ASSIGN_OR_RETURN(OdeSolution after,
                   block.MapWithDivergence(
                       before, DefaultDivergenceOptions(dim_), generator));
  const torch::Tensor start = 0.5 * before.to(torch::kFloat64).pow(2).sum(1);
  const torch::Tensor end = 0.5 * after.x.to(torch::kFloat64).pow(2).sum(1) -
                            after.divergence_integral.to(torch::kFloat64);
  const torch::Tensor decrease = (start - end).cpu();
  const int64_t rows = decrease.size(0);
  const double m = static_cast<double>(rows);
  const MeanEstimate estimate =
      reference.defined()
          ? ControlledMean(decrease, ControlFeatures(before, reference, rows),
                           ControlFeatures(reference, reference, rows))
          : PlainMean(decrease);
  stats.kl_decrease = estimate.value;
  stats.kl_decrease_std_error = estimate.std_error;
  // What independent rows for the two ends (one fresh subset per block)
  // would give at the same m.
  stats.kl_decrease_unpaired_std_error =
      std::sqrt((start.var().item<double>() + end.var().item<double>()) / m);
  return absl::OkStatus();
}

absl::StatusOr<torch::Tensor> ProgressiveTrainer::MapAll(
    const JkoBlock& block, const torch::Tensor& x) const {
  // Row chunks bound the RK4 stages' memory (all training rows at d = 784
  // would hold several copies of the data at once).
  return parallel_->MapRows(
      x, [&block](const torch::Tensor& rows) -> absl::StatusOr<torch::Tensor> {
        auto run = [&block](const std::vector<torch::Tensor>& in,
                            const StopCheck&)
            -> absl::StatusOr<std::vector<torch::Tensor>> {
          ASSIGN_OR_RETURN(torch::Tensor out, block.Map(in[0]));
          return std::vector<torch::Tensor>{out};
        };
        ASSIGN_OR_RETURN(
            std::vector<torch::Tensor> out,
            MapRowChunks({rows}, kInferenceChunkRows, nullptr, run));
        return out[0];
      });
}

absl::Status ProgressiveTrainer::Train(FlowModel& model,
                                       const ProgressCallback& progress,
                                       const CancelCheck& cancel) {
  while (model.num_blocks() < options_.max_blocks) {
    ASSIGN_OR_RETURN(bool converged, TrainNextBlock(model, progress, cancel));
    if (converged) break;
  }
  return absl::OkStatus();
}

}  // namespace jkoflow
