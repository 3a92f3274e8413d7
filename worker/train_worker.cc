#include "worker/train_worker.h"

#include <torch/types.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "base/store_lock.h"
#include "core/data_source.h"
#include "core/model_store.h"
#include "core/store_layout.h"
#include "core/torch_status.h"
#include "core/training_run.h"
#include "nlohmann/json.hpp"

namespace jkoflow {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

absl::StatusOr<torch::Tensor> LoadWorkerData(const TrainWorkerOptions& o) {
  if (!o.data_file.empty()) return ReadPointsFile(o.data_file);
  return GeneratePoints(o.dataset, o.points, o.data_seed);
}

std::string CheckpointDir(const TrainWorkerOptions& o) {
  return (fs::path(o.model_dir) / ".checkpoints" / o.name).string();
}

// Fingerprint() is [sizes..., elements, Σ x, Σ (i + 1)·x_i] over the
// tensors' values in order, as float64: a cheap check that two ranks hold
// the same tensors (a reordering changes the weighted sum).
torch::Tensor Fingerprint(const std::vector<torch::Tensor>& tensors,
                          std::vector<double> sizes) {
  torch::NoGradGuard no_grad;
  double sum = 0, weighted = 0;
  int64_t offset = 0;
  for (const torch::Tensor& t : tensors) {
    const torch::Tensor x =
        t.detach().to(torch::kCPU, torch::kFloat64).reshape(-1);
    const torch::Tensor index =
        torch::arange(offset + 1, offset + 1 + x.numel(), torch::kFloat64);
    sum += x.sum().item<double>();
    weighted += (x * index).sum().item<double>();
    offset += x.numel();
  }
  sizes.insert(sizes.end(), {static_cast<double>(offset), sum, weighted});
  return torch::tensor(sizes, torch::kFloat64);
}

// AgreeWithRankZero() fails unless `mine` (a Fingerprint()) equals rank
// 0's; `what` names the fingerprinted thing, `fix` what the user must do.
absl::Status AgreeWithRankZero(Collective* collective,
                               const torch::Tensor& mine, torch::Device device,
                               absl::string_view what, absl::string_view fix) {
  if (collective == nullptr) return absl::OkStatus();
  // A copy: on the CPU, to() would return `mine` itself.
  torch::Tensor root = mine.to(device, /*non_blocking=*/false, /*copy=*/true);
  RETURN_IF_ERROR(collective->Broadcast(root, /*root=*/0));
  if (!torch::equal(root.cpu(), mine)) {
    return absl::FailedPreconditionError(
        absl::StrCat("rank ", collective->rank(), " holds other ", what,
                     " than rank 0: ", fix));
  }
  return absl::OkStatus();
}

// ModelFingerprint() is the Fingerprint() of every weight, after the
// number of blocks.
torch::Tensor ModelFingerprint(const FlowModel& model) {
  std::vector<torch::Tensor> weights;
  for (int64_t k = 0; k < model.num_blocks(); ++k) {
    for (const torch::Tensor& p : model.block(k).field()->parameters()) {
      weights.push_back(p);
    }
  }
  return Fingerprint(weights, {static_cast<double>(model.num_blocks())});
}

// ProgressLog records iteration times and, when a path is given, writes one
// JSON line per iteration.
class ProgressLog {
 public:
  static absl::StatusOr<std::unique_ptr<ProgressLog>> Open(
      const std::string& path) {
    auto log = std::unique_ptr<ProgressLog>(new ProgressLog());
    if (!path.empty()) {
      log->file_.open(path, std::ios::trunc);
      if (!log->file_) {
        return absl::UnavailableError(
            absl::StrCat("progress_log: cannot write ", path));
      }
    }
    return log;
  }

  void Record(const IterationProgress& p) {
    const Clock::time_point now = Clock::now();
    if (p.iteration > 1) {
      iteration_seconds_.push_back(
          std::chrono::duration<double>(now - last_).count());
    }
    last_ = now;
    last_loss_ = p.loss;
    ++iterations_;
    if (!file_.is_open()) return;
    nlohmann::json line = {{"block", p.block},
                           {"iteration", p.iteration},
                           {"learning_rate", p.learning_rate},
                           {"loss", p.loss},
                           {"potential", p.potential},
                           {"neg_divergence", p.neg_divergence},
                           {"movement_term", p.movement_term}};
    file_ << line.dump() << "\n";
    file_.flush();
  }

  double median_iteration_seconds() const { return Median(iteration_seconds_); }
  int64_t iterations() const { return iterations_; }
  double last_loss() const { return last_loss_; }

 private:
  ProgressLog() = default;
  std::ofstream file_;
  std::vector<double> iteration_seconds_;
  Clock::time_point last_;
  double last_loss_ = 0;
  int64_t iterations_ = 0;
};

// WriteSummary() prints the rank's JSON summary line: iteration time
// median, time in all-reduce per iteration, parameters per block, final
// loss, and the version rank 0 published (when it did).
void WriteSummary(const TrainWorkerOptions& o, const ProgressLog& log,
                  Collective* collective, const FlowModel& model,
                  Clock::time_point start, int64_t version, std::ostream& out) {
  const CollectiveTimes times =
      collective ? collective->Times() : CollectiveTimes{};
  VelocityFieldOptions field = o.trainer.field;
  field.dim(model.FlowDim());
  nlohmann::json summary = {
      {"rank", o.rendezvous.rank},
      {"world_size", o.rendezvous.world_size},
      {"backend", collective ? collective->Backend() : "none"},
      {"threads", at::get_num_threads()},
      {"batch", o.trainer.batch_size},
      {"blocks", model.num_blocks()},
      {"iterations", log.iterations()},
      {"iteration_ms_median", 1e3 * log.median_iteration_seconds()},
      {"allreduce_calls", times.all_reduce_calls},
      {"allreduce_ms_mean",
       times.all_reduce_calls > 0
           ? 1e3 * times.all_reduce_seconds / times.all_reduce_calls
           : 0.0},
      {"params_per_block", BlockParameterCount(field)},
      {"final_loss", log.last_loss()},
      {"seconds", std::chrono::duration<double>(Clock::now() - start).count()}};
  if (version > 0) summary["published_version"] = version;
  out << summary.dump() << std::endl;
}

// WorkerSink is a rank's TrainingRunSink: rank 0 keeps the checkpoint in
// <model_dir>/.checkpoints/<name>/ and publishes the next version; every
// rank checks that it trains on rank 0's data and model, and logs progress.
class WorkerSink : public TrainingRunSink {
 public:
  WorkerSink(const TrainWorkerOptions& o, Collective* collective,
             ProgressLog* log)
      : o_(o), collective_(collective), log_(log) {}

  absl::StatusOr<std::optional<ResumePoint>> Resume() override {
    const std::string checkpoint = CheckpointDir(o_);
    if (o_.model_dir.empty() ||
        !fs::exists(fs::path(checkpoint) / "manifest.json")) {
      return std::optional<ResumePoint>();
    }
    ASSIGN_OR_RETURN(FlowModel resumed,
                     LoadModel(checkpoint, o_.trainer.device));
    const int64_t blocks = resumed.num_blocks();
    return std::optional<ResumePoint>(ResumePoint{std::move(resumed), blocks});
  }

  absl::Status Started(const FlowModel& model,
                       const torch::Tensor& data) override {
    RETURN_IF_ERROR(AgreeWithRankZero(
        collective_,
        Fingerprint({data}, {static_cast<double>(data.size(0)),
                             static_cast<double>(data.size(1))}),
        o_.trainer.device, "training data",
        "every rank must read the same points (the same --data file, or "
        "--dataset, --points and --data_seed)"));
    return AgreeWithRankZero(collective_, ModelFingerprint(model),
                             o_.trainer.device, "checkpointed blocks",
                             "every rank must see the same model store");
  }

  void Progress(const IterationProgress& p, int64_t) override {
    log_->Record(p);
  }

  absl::Status BlockDone(const FlowModel& model, int64_t) override {
    if (o_.rendezvous.rank != 0 || o_.model_dir.empty()) {
      return absl::OkStatus();
    }
    return SaveModel(model, CheckpointDir(o_));
  }

  // Publish() writes `model` as the next version of its name (rank 0, under
  // the store lock) and removes the checkpoint.
  absl::Status Publish(const FlowModel& model) override {
    if (o_.rendezvous.rank != 0 || o_.model_dir.empty()) {
      return absl::OkStatus();
    }
    const std::vector<int64_t> versions =
        ModelVersionsOnDisk(o_.model_dir, o_.name);
    version_ = versions.empty() ? 1 : versions.back() + 1;
    RETURN_IF_ERROR(
        SaveModel(model, ModelVersionDir(o_.model_dir, o_.name, version_)));
    std::error_code ec;
    fs::remove_all(CheckpointDir(o_), ec);  // the job is done
    return absl::OkStatus();
  }

  // The version Publish() wrote (0: none).
  int64_t version() const { return version_; }

 private:
  const TrainWorkerOptions& o_;
  Collective* collective_;
  ProgressLog* log_;
  int64_t version_ = 0;
};

}  // namespace

absl::Status RunTrainWorker(const TrainWorkerOptions& o, std::ostream& out) {
  const Clock::time_point start = Clock::now();
  const int rank = o.rendezvous.rank;
  RETURN_IF_ERROR(ValidateRendezvousOptions(o.rendezvous));
  ASSIGN_OR_RETURN(torch::Tensor data, LoadWorkerData(o));
  // Rank 0 owns the store for the whole job; it locks before the
  // rendezvous, so a second job into the same store fails at once.
  std::unique_ptr<StoreLock> lock;
  if (rank == 0 && !o.model_dir.empty()) {
    std::error_code ec;
    fs::create_directories(o.model_dir, ec);
    ASSIGN_OR_RETURN(lock, StoreLock::Acquire(o.model_dir));
  }
  std::shared_ptr<Collective> collective;
  if (o.rendezvous.world_size > 1) {
    ASSIGN_OR_RETURN(std::unique_ptr<Collective> joined,
                     ConnectProcessGroup(o.rendezvous));
    collective = std::move(joined);
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ProgressLog> log,
                   ProgressLog::Open(o.progress_log));
  TrainingRunSpec spec;
  spec.options = o.trainer;
  spec.data = data;
  spec.collective = collective;
  spec.dataset_label = o.data_file.empty()
                           ? o.dataset
                           : fs::path(o.data_file).filename().string();
  WorkerSink sink(o, collective.get(), log.get());
  ASSIGN_OR_RETURN(const FlowModel model, RunTraining(std::move(spec), sink));
  if (!o.rank_model_out.empty()) {
    RETURN_IF_ERROR(SaveModel(model, o.rank_model_out));
  }
  WriteSummary(o, *log, collective.get(), model, start, sink.version(), out);
  return absl::OkStatus();
}

absl::Status RunAllReduceBench(const RendezvousOptions& rendezvous,
                               const std::vector<int64_t>& sizes, int repeats,
                               std::ostream& out) {
  ASSIGN_OR_RETURN(std::unique_ptr<Collective> collective,
                   ConnectProcessGroup(rendezvous));
  for (const int64_t size : sizes) {
    ASSIGN_OR_RETURN(torch::Tensor buffer,
                     GuardTorch([&]() -> absl::StatusOr<torch::Tensor> {
                       return torch::ones({size},
                                          torch::TensorOptions()
                                              .dtype(torch::kFloat32)
                                              .device(rendezvous.device));
                     }));
    std::vector<double> seconds;
    for (int r = 0; r < repeats + 3; ++r) {  // 3 warm-up calls
      const Clock::time_point start = Clock::now();
      RETURN_IF_ERROR(collective->AllReduceSum(buffer));
      if (r >= 3) {
        seconds.push_back(
            std::chrono::duration<double>(Clock::now() - start).count());
      }
    }
    nlohmann::json line = {{"bench", "allreduce"},
                           {"rank", rendezvous.rank},
                           {"world_size", rendezvous.world_size},
                           {"backend", collective->Backend()},
                           {"floats", size},
                           {"bytes", 4 * size},
                           {"ms_median", 1e3 * Median(seconds)}};
    out << line.dump() << std::endl;
  }
  return absl::OkStatus();
}

}  // namespace jkoflow
