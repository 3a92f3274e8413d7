#ifndef JKOFLOW_BENCH_PERF_BENCH_H_
#define JKOFLOW_BENCH_PERF_BENCH_H_

#include <torch/types.h>

#include <string>

#include "absl/status/status.h"

namespace jkoflow {

// RunPerfBench() prints the --perf figures as JSON lines: the GEMM peak, then
// the groups named in `groups` (comma-separated: inference — sampling and
// log-likelihood points/s; training — s/iteration; memory — peak RSS of
// training) for d = 2, 10, 64 and 784 (memory: 2, 64 and 784).
absl::Status RunPerfBench(torch::Device device, int threads,
                          const std::string& groups);

}  // namespace jkoflow

#endif  // JKOFLOW_BENCH_PERF_BENCH_H_
