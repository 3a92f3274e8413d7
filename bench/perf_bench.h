#ifndef JKOFLOW_BENCH_PERF_BENCH_H_
#define JKOFLOW_BENCH_PERF_BENCH_H_

#include <torch/types.h>

#include "absl/status/status.h"

namespace jkoflow {

// RunPerfBench() measures the throughput figures of issue "Speed" and prints
// one JSON line per figure.
absl::Status RunPerfBench(torch::Device device, int threads);

}  // namespace jkoflow

#endif  // JKOFLOW_BENCH_PERF_BENCH_H_
