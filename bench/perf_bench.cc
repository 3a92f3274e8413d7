#include "bench/perf_bench.h"

namespace jkoflow {

absl::Status RunPerfBench(torch::Device, int) {
  return absl::UnimplementedError("--perf: not yet implemented");
}

}  // namespace jkoflow
