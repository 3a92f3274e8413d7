#include "bench/quality_suite.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "bench/bench_data.h"
#include "bench/flow_matching_budget.h"

namespace jkoflow {
namespace {

// SettingResult is what the suite measured for one set under one setting.
struct SettingResult {
  Evaluation evaluation;
  double train_seconds = 0;
  int64_t iterations = 0;
  int64_t blocks = 0;
};

absl::StatusOr<SettingResult> TrainAndEvaluate(const std::string& set,
                                               const BenchData& data,
                                               const TrainerOptions& options,
                                               uint64_t seed) {
  SettingResult result;
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(auto trainer,
                   ProgressiveTrainer::Create(options, data.train));
  FlowModel model = trainer->NewModel(set);
  RETURN_IF_ERROR(trainer->Train(model));
  result.train_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  result.blocks = model.num_blocks();
  for (int64_t i = 0; i < model.num_blocks(); ++i) {
    result.iterations += model.stats(i).iterations;
  }
  ASSIGN_OR_RETURN(result.evaluation, EvaluateModel(model, data, seed));
  return result;
}

// Averaged is the mean (and standard deviation over the seeds) of the
// figures of one set under one setting.
struct Averaged {
  SettingResult mean;
  double kl_std = 0, nll_std = 0, mmd_std = 0, seconds_std = 0;
  int seeds = 0;
};

double StdOf(const std::vector<double>& values, double mean) {
  if (values.size() < 2) return 0;
  double sum = 0;
  for (double v : values) sum += (v - mean) * (v - mean);
  return std::sqrt(sum / (values.size() - 1));
}

Averaged Average(const std::vector<SettingResult>& runs) {
  Averaged a;
  a.seeds = static_cast<int>(runs.size());
  std::vector<double> kl, nll, mmd, seconds;
  double inversion = 0, iterations = 0, blocks = 0;
  for (const SettingResult& r : runs) {
    if (r.evaluation.kl.has_value()) kl.push_back(*r.evaluation.kl);
    nll.push_back(r.evaluation.nll);
    mmd.push_back(r.evaluation.mmd);
    seconds.push_back(r.train_seconds);
    inversion += r.evaluation.inversion_error / runs.size();
    iterations += static_cast<double>(r.iterations) / runs.size();
    blocks += static_cast<double>(r.blocks) / runs.size();
  }
  const auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x / v.size();
    return s;
  };
  if (!kl.empty()) {
    a.mean.evaluation.kl = mean(kl);
    a.kl_std = StdOf(kl, *a.mean.evaluation.kl);
  }
  a.mean.evaluation.nll = mean(nll);
  a.nll_std = StdOf(nll, a.mean.evaluation.nll);
  a.mean.evaluation.mmd = mean(mmd);
  a.mmd_std = StdOf(mmd, a.mean.evaluation.mmd);
  a.mean.train_seconds = mean(seconds);
  a.seconds_std = StdOf(seconds, a.mean.train_seconds);
  a.mean.evaluation.inversion_error = inversion;
  a.mean.iterations = static_cast<int64_t>(std::lround(iterations));
  a.mean.blocks = static_cast<int64_t>(std::lround(blocks));
  return a;
}

void PrintResult(const std::string& set, const std::string& setting,
                 const Averaged& a) {
  const SettingResult& r = a.mean;
  std::printf(
      "{\"set\": \"%s\", \"setting\": \"%s\", \"kl\": %s, \"kl_std\": %.6f, "
      "\"nll\": %.6f, \"nll_std\": %.6f, \"mmd\": %.6g, \"mmd_std\": %.3g, "
      "\"train_seconds\": %.2f, \"train_seconds_std\": %.2f, "
      "\"iterations\": %d, \"blocks\": %d, \"inversion_error\": %.3g, "
      "\"seeds\": %d}\n",
      set.c_str(), setting.c_str(), JsonNumberOrNull(r.evaluation.kl).c_str(),
      a.kl_std, r.evaluation.nll, a.nll_std, r.evaluation.mmd, a.mmd_std,
      r.train_seconds, a.seconds_std, static_cast<int>(r.iterations),
      static_cast<int>(r.blocks), r.evaluation.inversion_error, a.seeds);
  std::fflush(stdout);
}

// Compared() is what a set is compared on: KL where the density is known,
// else NLL.
double Compared(const SettingResult& r) {
  return r.evaluation.kl.value_or(r.evaluation.nll);
}

// PrintComparison() sets the default against the baseline and the targets.
void PrintComparison(const std::string& set, const SettingResult& base,
                     const SettingResult& def) {
  const bool has_kl = base.evaluation.kl.has_value();
  const double base_q = Compared(base);
  const double def_q = Compared(def);
  const bool is_gmm = absl::StartsWith(set, "gmm:");
  const double seconds_ratio = def.train_seconds / base.train_seconds;
  bool quality_met = is_gmm ? def_q <= base_q : def_q <= base_q + 0.005;
  if (absl::StartsWith(set, "gmm:10:")) quality_met &= def_q <= 0.5 * base_q;
  const bool met = quality_met && seconds_ratio <= 0.35;
  std::printf(
      "{\"set\": \"%s\", \"compared_on\": \"%s\", \"delta\": %.6f, "
      "\"ratio\": %.4f, \"seconds_ratio\": %.4f, \"quality_met\": %s, "
      "\"time_met\": %s, \"target_met\": %s}\n",
      set.c_str(), has_kl ? "kl" : "nll", def_q - base_q,
      base_q != 0 ? def_q / base_q : 0.0, seconds_ratio,
      quality_met ? "true" : "false", seconds_ratio <= 0.35 ? "true" : "false",
      met ? "true" : "false");
  std::fflush(stdout);
}

}  // namespace

TrainerOptions AuthorsBaselineOptions() {
  TrainerOptions o;
  o.max_blocks = 6;
  o.iterations_per_block = 500;
  o.batch_size = 2000;
  o.learning_rate = 1e-3;
  o.lr_schedule.kind = LrScheduleKind::kConstant;
  o.plateau = PlateauOptions();  // off
  // No held-out rows, no best-weights restore, no gate: the authors train
  // on every row and keep the last weights. (From 2026-12-06 until this was
  // set, the baseline inherited the default's validation rules.)
  o.validation_gate = false;
  o.validation_every = 0;
  o.step_size = StepSizeSchedule();
  o.step_size.h0 = 0.25;
  o.step_size.rho = 1.4;
  o.step_size.adaptive = false;
  o.stop_tolerance = 0;
  o.smoothing_tau = 0;
  o.warm_start = true;
  o.steps = 3;
  o.field = VelocityFieldOptions(2).width(128).depth(3).softplus_beta(20);
  DivergenceOptions divergence;
  divergence.method = DivergenceMethod::kHutchinson;
  divergence.probes = 1;
  o.divergence = divergence;
  return o;
}

std::vector<std::string> DefaultQualitySets() {
  return {"8gaussians", "checkerboard", "2spirals", "gmm:6:8:1", "gmm:10:8:1"};
}

namespace {

// TrainerFor() is the trainer setup of `setting` on seed `seed`.
TrainerOptions TrainerFor(const QualitySuiteOptions& options,
                          const std::string& setting, uint64_t seed) {
  TrainerOptions trainer = setting == "baseline" ? AuthorsBaselineOptions()
                                                 : options.default_options;
  if (setting == "flow_matching") {
    trainer.method = TrainingMethod::kFlowMatching;
  }
  trainer.seed = seed;
  trainer.device = options.device;
  // The suite times training to quality; the per-block diagnostics
  // (about 2 s a block at n = 2000) are off in every setting.
  trainer.diagnostic_points = 0;
  return trainer;
}

// RunSetting() trains and evaluates one set under one setting on each
// seed. Flow matching trains each seed for the wall-clock the default
// took on that seed (`default_seconds`, when the default ran first).
absl::StatusOr<std::vector<SettingResult>> RunSetting(
    const QualitySuiteOptions& options, const std::string& set,
    const std::string& setting, const std::vector<double>& default_seconds) {
  // The baseline keeps fewer seeds, to bound the suite's time.
  const int64_t seeds =
      setting == "baseline" ? options.baseline_seeds : options.seeds;
  std::vector<SettingResult> runs;
  for (int64_t s = 0; s < seeds; ++s) {
    const uint64_t seed = options.seed + s;
    ASSIGN_OR_RETURN(BenchData data,
                     GenerateBenchData(set, options.train_points,
                                       options.test_points, seed));
    TrainerOptions trainer = TrainerFor(options, setting, seed);
    if (setting == "flow_matching" &&
        s < static_cast<int64_t>(default_seconds.size())) {
      ASSIGN_OR_RETURN(
          trainer.iterations_per_block,
          IterationsForBudget(set, data, trainer, default_seconds[s]));
    }
    ASSIGN_OR_RETURN(SettingResult run,
                     TrainAndEvaluate(set, data, trainer, seed));
    runs.push_back(run);
  }
  return runs;
}

// PrintPeerComparison() sets the default against flow matching trained for
// the same wall-clock: KL (NLL where no density is known), default − peer.
void PrintPeerComparison(const std::string& set, const SettingResult& def,
                         const SettingResult& peer) {
  const bool has_kl = def.evaluation.kl.has_value();
  const double def_q = Compared(def);
  const double peer_q = Compared(peer);
  std::printf(
      "{\"set\": \"%s\", \"compared_on\": \"%s\", "
      "\"default_minus_flow_matching\": %.6f, \"seconds_ratio\": %.4f}\n",
      set.c_str(), has_kl ? "kl" : "nll", def_q - peer_q,
      def.train_seconds / peer.train_seconds);
  std::fflush(stdout);
}

absl::Status CheckSettings(const QualitySuiteOptions& options) {
  for (const std::string& setting : options.settings) {
    if (setting != "baseline" && setting != "default" &&
        setting != "flow_matching") {
      return absl::InvalidArgumentError(
          absl::StrCat("suite_settings: must be baseline, default or "
                       "flow_matching, got \"",
                       setting, "\""));
    }
  }
  if (options.seeds < 1 || options.baseline_seeds < 1) {
    return absl::InvalidArgumentError(
        "seeds, baseline_seeds: must be at least 1");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RunQualitySuite(const QualitySuiteOptions& options) {
  RETURN_IF_ERROR(CheckSettings(options));
  const std::vector<std::string> sets =
      options.sets.empty() ? DefaultQualitySets() : options.sets;
  std::vector<std::string> settings =
      options.settings.empty()
          ? std::vector<std::string>{"baseline", "default", "flow_matching"}
          : options.settings;
  // Flow matching needs the default's wall-clock, seed by seed.
  std::stable_partition(
      settings.begin(), settings.end(),
      [](const std::string& x) { return x != "flow_matching"; });
  for (const std::string& set : sets) {
    std::map<std::string, SettingResult> results;
    std::vector<double> default_seconds;
    for (const std::string& setting : settings) {
      ASSIGN_OR_RETURN(std::vector<SettingResult> runs,
                       RunSetting(options, set, setting, default_seconds));
      if (setting == "default") {
        for (const SettingResult& r : runs) {
          default_seconds.push_back(r.train_seconds);
        }
      }
      const Averaged averaged = Average(runs);
      results[setting] = averaged.mean;
      PrintResult(set, setting, averaged);
    }
    if (results.count("baseline") && results.count("default")) {
      PrintComparison(set, results["baseline"], results["default"]);
    }
    if (results.count("flow_matching") && results.count("default")) {
      PrintPeerComparison(set, results["default"], results["flow_matching"]);
    }
  }
  return absl::OkStatus();
}

}  // namespace jkoflow
