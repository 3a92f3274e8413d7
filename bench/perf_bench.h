#ifndef JKOFLOW_BENCH_PERF_BENCH_H_
#define JKOFLOW_BENCH_PERF_BENCH_H_

#include <torch/types.h>

#include <string>

#include "absl/status/status.h"

namespace jkoflow {

// RunPerfBench() measures the throughput figures of issue "Speed" and prints
// one JSON line per figure.
// RunPerfBench() prints the --perf figures as JSON lines: the GEMM peak, then
// the groups named in `groups` (comma-separated: inference, training,
// memory) for d = 2 and d = 10.
absl::Status RunPerfBench(torch::Device device, int threads,
                          const std::string& groups);

}  // namespace jkoflow

#endif  // JKOFLOW_BENCH_PERF_BENCH_H_
