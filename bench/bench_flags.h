#ifndef JKOFLOW_BENCH_BENCH_FLAGS_H_
#define JKOFLOW_BENCH_BENCH_FLAGS_H_

// Flags of jkoflow-bench, shared by its training and --perf modes.

#include <cstdint>
#include <string>

#include "absl/flags/declare.h"

ABSL_DECLARE_FLAG(std::string, dataset);
ABSL_DECLARE_FLAG(std::string, test);
ABSL_DECLARE_FLAG(std::string, test_logp);
ABSL_DECLARE_FLAG(int64_t, train_points);
ABSL_DECLARE_FLAG(int64_t, test_points);
ABSL_DECLARE_FLAG(int64_t, blocks);
ABSL_DECLARE_FLAG(int64_t, iters);
ABSL_DECLARE_FLAG(int64_t, batch);
ABSL_DECLARE_FLAG(double, lr);
ABSL_DECLARE_FLAG(double, h0);
ABSL_DECLARE_FLAG(double, rho);
ABSL_DECLARE_FLAG(double, hmax);
ABSL_DECLARE_FLAG(bool, adaptive);
ABSL_DECLARE_FLAG(double, stop_tol);
ABSL_DECLARE_FLAG(double, tau);
ABSL_DECLARE_FLAG(int64_t, width);
ABSL_DECLARE_FLAG(int64_t, depth);
ABSL_DECLARE_FLAG(int64_t, steps);
ABSL_DECLARE_FLAG(std::string, activation);
ABSL_DECLARE_FLAG(std::string, divergence);
ABSL_DECLARE_FLAG(int64_t, probes);
ABSL_DECLARE_FLAG(uint64_t, seed);
ABSL_DECLARE_FLAG(int32_t, threads);
ABSL_DECLARE_FLAG(std::string, device);
ABSL_DECLARE_FLAG(std::string, out);
ABSL_DECLARE_FLAG(bool, perf);

#endif  // JKOFLOW_BENCH_BENCH_FLAGS_H_
