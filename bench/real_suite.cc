#include "bench/real_suite.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "bench/bench_data.h"
#include "bench/flow_matching_budget.h"
#include "bench/peak_rss.h"
#include "core/model_store.h"
#include "core/torch_status.h"

namespace jkoflow {
namespace {

namespace fs = std::filesystem;

// One seed's figures.
struct Run {
  double bits_per_dim = 0, nll = 0, train_seconds = 0, eval_seconds = 0;
  double inversion_error = 0, peak_rss_mb = 0;
  int64_t blocks = 0;
};

absl::StatusOr<BenchData> LoadRealSet(const RealSuiteOptions& o,
                                      const std::string& set) {
  BenchData data;
  std::string train, test;
  if (set == "digits") {
    train = (fs::path(o.data_dir) / "digits_train.npy").string();
    test = (fs::path(o.data_dir) / "digits_test.npy").string();
  } else if (set == "fashion-mnist") {
    const fs::path dir = fs::path(o.data_dir) / "fashion-mnist";
    train = (dir / "train-images-idx3-ubyte.gz").string();
    test = (dir / "t10k-images-idx3-ubyte.gz").string();
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "suite_sets: the real suite has digits and fashion-mnist, got \"", set,
        "\""));
  }
  absl::StatusOr<torch::Tensor> rows = ReadPointsFile(train, &data.item_shape);
  if (absl::IsNotFound(rows.status())) {
    return absl::NotFoundError(absl::StrCat(rows.status().message(),
                                            " (run deploy/real-data.sh ",
                                            o.data_dir, " first)"));
  }
  ASSIGN_OR_RETURN(data.train, std::move(rows));
  ASSIGN_OR_RETURN(data.test, ReadPointsFile(test));
  if (o.max_train_rows > 0 && data.train.size(0) > o.max_train_rows) {
    data.train = data.train.narrow(0, 0, o.max_train_rows).contiguous();
  }
  return data;
}

// The steps of the suite's Gaussian anchor.
constexpr char kLogitAnchorTransform[] =
    "dequantize,scale,logit,standardize,whiten";

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
      .count();
}

// TrainSetting() trains one setting on one seed; `budget_seconds` (> 0)
// sizes the flow-matching run to that wall-clock.
// `save_to` (not empty) is where the trained model is saved.
absl::StatusOr<Run> TrainSetting(const std::string& set,
                                 const std::string& setting,
                                 const BenchData& data, TrainerOptions options,
                                 double budget_seconds,
                                 const std::string& save_to) {
  Run run;
  options.diagnostic_points = 0;  // timed to quality, as the quality suite
  if (setting == "gaussian" && options.transform.automatic) {
    // The anchor: a full-covariance Gaussian of the dequantised data in
    // logit space (scaled to [0, 1) over the data's range first).
    ASSIGN_OR_RETURN(options.transform,
                     ParseTransformSpec(kLogitAnchorTransform));
  }
  options.transform.item_shape = data.item_shape;
  if (setting == "flow_matching") {
    options.method = TrainingMethod::kFlowMatching;
    if (budget_seconds > 0) {
      ASSIGN_OR_RETURN(options.iterations_per_block,
                       IterationsForBudget(set, data, options, budget_seconds));
    }
  }
  ResetPeakRss();
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(auto trainer,
                   ProgressiveTrainer::Create(options, data.train));
  FlowModel model = trainer->NewModel(set);
  if (setting != "gaussian" && setting != "copula") {
    RETURN_IF_ERROR(trainer->Train(model));
  }
  run.train_seconds = Seconds(start);
  run.blocks = model.num_blocks();
  if (!save_to.empty()) RETURN_IF_ERROR(SaveModel(model, save_to));
  ASSIGN_OR_RETURN(Evaluation e,
                   EvaluateModel(model, data, options.seed, /*with_mmd=*/false,
                                 /*inversion_points=*/2000));
  run.nll = e.nll;
  run.bits_per_dim = e.bits_per_dim.value_or(std::nan(""));
  run.eval_seconds = e.eval_seconds;
  run.inversion_error = e.inversion_error;
  run.peak_rss_mb = PeakRssMb();
  return run;
}

struct MeanStd {
  double mean = 0, std = 0;
};

MeanStd Summarise(const std::vector<Run>& runs, double Run::*field) {
  MeanStd s;
  for (const Run& r : runs) s.mean += r.*field / runs.size();
  for (const Run& r : runs) s.std += std::pow(r.*field - s.mean, 2);
  s.std = runs.size() > 1 ? std::sqrt(s.std / (runs.size() - 1)) : 0;
  return s;
}

void PrintSetting(const std::string& set, const std::string& setting,
                  const std::vector<Run>& runs) {
  const MeanStd bpd = Summarise(runs, &Run::bits_per_dim);
  const MeanStd nll = Summarise(runs, &Run::nll);
  const MeanStd train = Summarise(runs, &Run::train_seconds);
  const MeanStd eval = Summarise(runs, &Run::eval_seconds);
  const MeanStd inversion = Summarise(runs, &Run::inversion_error);
  double peak = 0, blocks = 0;
  for (const Run& r : runs) {
    peak = std::max(peak, r.peak_rss_mb);
    blocks += static_cast<double>(r.blocks) / runs.size();
  }
  std::printf(
      "{\"set\": \"%s\", \"setting\": \"%s\", \"bits_per_dim\": %.4f, "
      "\"bits_per_dim_std\": %.4f, \"nll\": %.3f, \"nll_std\": %.3f, "
      "\"train_seconds\": %.1f, \"train_seconds_std\": %.1f, "
      "\"eval_seconds\": %.1f, \"peak_rss_mb\": %.0f, "
      "\"inversion_error\": %.3g, \"blocks\": %.2f, \"seeds\": %d}\n",
      set.c_str(), setting.c_str(), bpd.mean, bpd.std, nll.mean, nll.std,
      train.mean, train.std, eval.mean, peak, inversion.mean, blocks,
      static_cast<int>(runs.size()));
  std::fflush(stdout);
}

// RunSeed() trains every setting of one set on seed number `s`, the
// default first (flow matching gets its wall-clock), appending to `runs`.
absl::Status RunSeed(const RealSuiteOptions& options, const std::string& set,
                     const BenchData& data, int64_t s,
                     std::map<std::string, std::vector<Run>>& runs) {
  TrainerOptions trainer = options.default_options;
  trainer.seed = options.seed + s;
  trainer.device = options.device;
  std::vector<std::string> order = options.settings;
  std::stable_partition(order.begin(), order.end(),
                        [](const std::string& x) { return x == "default"; });
  double budget = 0;
  for (const std::string& setting : order) {
    const bool save =
        !options.out_dir.empty() && s == 0 && setting == "default";
    ASSIGN_OR_RETURN(
        Run run,
        TrainSetting(set, setting, data, trainer, budget,
                     save ? (fs::path(options.out_dir) / set / "v1").string()
                          : std::string()));
    if (setting == "default") budget = run.train_seconds;
    std::fprintf(stderr,
                 "real-suite: %s %s seed %d: %.4f bits/dim, %.1f s, %d "
                 "blocks\n",
                 set.c_str(), setting.c_str(), static_cast<int>(trainer.seed),
                 run.bits_per_dim, run.train_seconds,
                 static_cast<int>(run.blocks));
    runs[setting].push_back(run);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RunRealSuite(const RealSuiteOptions& options) {
  for (const std::string& setting : options.settings) {
    if (setting != "gaussian" && setting != "copula" && setting != "default" &&
        setting != "flow_matching") {
      return absl::InvalidArgumentError(
          absl::StrCat("suite_settings: must be gaussian, copula, default or "
                       "flow_matching, got \"",
                       setting, "\""));
    }
  }
  if (options.seeds < 1) {
    return absl::InvalidArgumentError("seeds: must be at least 1");
  }
  for (const std::string& set : options.sets) {
    ASSIGN_OR_RETURN(BenchData data, LoadRealSet(options, set));
    std::map<std::string, std::vector<Run>> runs;
    for (int64_t s = 0; s < options.seeds; ++s) {
      RETURN_IF_ERROR(RunSeed(options, set, data, s, runs));
    }
    for (const std::string& setting : options.settings) {
      PrintSetting(set, setting, runs[setting]);
    }
    if (runs.count("default") > 0) {
      const double def = Summarise(runs["default"], &Run::bits_per_dim).mean;
      std::string line = absl::StrFormat("{\"set\": \"%s\"", set);
      for (const char* other : {"gaussian", "copula", "flow_matching"}) {
        if (runs.count(other) == 0) continue;
        absl::StrAppendFormat(
            &line, ", \"default_minus_%s\": %.4f", other,
            def - Summarise(runs[other], &Run::bits_per_dim).mean);
      }
      std::printf("%s}\n", line.c_str());
      std::fflush(stdout);
    }
  }
  return absl::OkStatus();
}

}  // namespace jkoflow
