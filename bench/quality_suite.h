#ifndef JKOFLOW_BENCH_QUALITY_SUITE_H_
#define JKOFLOW_BENCH_QUALITY_SUITE_H_

#include <torch/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/progressive_trainer.h"

namespace jkoflow {

// AuthorsBaselineOptions() is a proxy of the authors' setup, not their
// configs (which train 10,000–20,000 iterations per block at a rate of
// 1e-4, far longer): 6 blocks × 500 iterations, Adam at a constant 1e-3, batch 2000,
// h_k = 0.25 · 1.4^(k−1), one Hutchinson probe in training, no stopping
// rules, no held-out rows or validation (every row trains, the last
// weights are kept), 3 × 128 Softplus(20) blocks of 3 RK4 steps.
TrainerOptions AuthorsBaselineOptions();

// QualitySuiteOptions: which sets and settings the suite runs.
struct QualitySuiteOptions {
  std::vector<std::string> sets;  // default: DefaultQualitySets()
  // "baseline", "default" and "flow_matching" (conditional flow matching
  // trained, seed by seed, for the default's wall-clock); all if empty.
  std::vector<std::string> settings;
  TrainerOptions default_options;  // the "default" setting
  int64_t train_points = 20000;
  int64_t test_points = 5000;
  uint64_t seed = 1;
  // Seeds of the default and flow-matching settings (data and training:
  // seed, seed + 1, …); the baseline runs the first baseline_seeds of them
  // (one by default, to bound the suite's time).
  int64_t seeds = 3;
  int64_t baseline_seeds = 1;
  torch::Device device = torch::Device("cpu");
};

// DefaultQualitySets() are 8gaussians, checkerboard, 2spirals, gmm:6:8:1 and
// gmm:10:8:1.
std::vector<std::string> DefaultQualitySets();

// RunQualitySuite() trains and evaluates every set under each setting and
// prints one JSON line per set and setting ({"set", "setting", "kl",
// "kl_std", "nll", "nll_std", "mmd" (the unbiased MMD²), "train_seconds",
// "iterations", "blocks", "seeds", ...}: means and standard deviations over
// the seeds); when the baseline and the default
// ran, one more line per set compares them against the time-to-quality
// targets (default seconds ≤ 0.35 × baseline; KL, or NLL where no density is
// known, ≤ baseline + 0.005 nats in 2-D and ≤ baseline for gmm sets;
// gmm:10 KL ≤ 0.5 × baseline). train_seconds is the wall-clock of the whole
// training (iterations, pushes and block statistics); the per-block
// diagnostics (TrainerOptions::diagnostic_points) are off in both settings,
// and a plain jkoflow-bench run prints what they cost. When flow matching
// ran with the default, a last line per set gives default − flow matching.
absl::Status RunQualitySuite(const QualitySuiteOptions& options);

}  // namespace jkoflow

#endif  // JKOFLOW_BENCH_QUALITY_SUITE_H_
