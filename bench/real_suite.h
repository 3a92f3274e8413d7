#ifndef JKOFLOW_BENCH_REAL_SUITE_H_
#define JKOFLOW_BENCH_REAL_SUITE_H_

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/progressive_trainer.h"

namespace jkoflow {

// RealSuiteOptions: which real sets, settings and seeds the suite runs.
struct RealSuiteOptions {
  // "digits" (data_dir/digits_{train,test}.npy) and "fashion-mnist"
  // (data_dir/fashion-mnist/{train,t10k}-images-idx3-ubyte.gz), as
  // deploy/real-data.sh writes them.
  std::vector<std::string> sets = {"digits", "fashion-mnist"};
  // "gaussian" (the anchor: the full-covariance Gaussian fitted in logit
  // space, dequantize,scale,logit,standardize,whiten, unless a transform
  // is asked for), "copula" (the default transform with no block: with
  // the marginal step a Gaussian copula), "default" (the library's
  // defaults) and "flow_matching" (conditional flow matching on one
  // time-conditioned field, trained for the default's wall-clock).
  std::vector<std::string> settings = {"gaussian", "copula", "default",
                                       "flow_matching"};
  std::string data_dir = "data/real";
  TrainerOptions default_options;
  int64_t seeds = 3;  // seeds seed, seed + 1, ...
  uint64_t seed = 1;
  // At most this many training rows (0: all), for a quicker look.
  int64_t max_train_rows = 0;
  torch::Device device = torch::Device("cpu");
  // When set, the first seed's default model of each set is saved to
  // out_dir/<set>/v1, a server's model directory (to serve, sample, plot).
  std::string out_dir;
};

// RunRealSuite() trains and scores every set under every setting and seed,
// and prints one JSON line per set and setting: {"set", "setting",
// "bits_per_dim", "bits_per_dim_std", "nll", "nll_std", "train_seconds",
// "eval_seconds", "peak_rss_mb", "inversion_error", "blocks", "seeds"}
// (means and standard deviations over the seeds; peak_rss_mb is the
// process's high-water mark during that setting, reset before it), then
// one line per set comparing the default with the others.
absl::Status RunRealSuite(const RealSuiteOptions& options);

}  // namespace jkoflow

#endif  // JKOFLOW_BENCH_REAL_SUITE_H_
