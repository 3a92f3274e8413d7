// flow_request_fuzz: what the server does with an untrusted Sample or
// LogLikelihood request before any model runs. The input is parsed as
// both protos; each is validated (flow_requests.h), budgeted against
// request_budget.h for two models and two sets of limits, and the
// LogLikelihood points are decoded (points_codec.h) and range-checked
// (point_range.h). Accepted requests must keep each function's promise.

#include <ATen/Parallel.h>
#include <torch/types.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/flow_model.h"
#include "core/jko_block.h"
#include "fuzz/fuzz_check.h"
#include "jkoflow/v1/flow.pb.h"
#include "server/jobs/point_range.h"
#include "server/rpc/flow_requests.h"
#include "server/rpc/points_codec.h"
#include "server/serving/request_budget.h"

namespace jkoflow {
namespace {

// Models() are a 2-D model with two blocks and a 600-D one with none.
const std::vector<FlowModel>& Models() {
  static const std::vector<FlowModel>* const models = [] {
    at::set_num_threads(1);
    auto* list = new std::vector<FlowModel>();
    FlowModel small(2);
    for (int k = 0; k < 2; ++k) {
      JkoBlockConfig config;
      config.field = VelocityFieldOptions(2).width(8).depth(2);
      absl::StatusOr<JkoBlock> block = JkoBlock::Create(config, k);
      FUZZ_CHECK(block.ok());
      FUZZ_CHECK(small.AppendBlock(*std::move(block), {}).ok());
    }
    list->push_back(std::move(small));
    list->emplace_back(600);
    return list;
  }();
  return *models;
}

// Limits() are the server's defaults and a small set (64 KiB messages,
// 1 MiB per request, 1000 points).
std::vector<ServingLimits> Limits() {
  ServingLimits small;
  small.max_samples_per_request = 1000;
  small.max_batch_points = 100;
  small.max_message_bytes = 64 << 10;
  small.max_request_bytes = 1 << 20;
  return {ServingLimits(), small};
}

void CheckSample(const v1::SampleRequest& request) {
  for (const ServingLimits& limits : Limits()) {
    const absl::StatusOr<int64_t> chunk =
        ValidateSampleRequest(request, limits);
    if (!chunk.ok()) continue;
    FUZZ_CHECK(*chunk >= 1 && *chunk <= kMaxChunkPoints);
    for (const FlowModel& model : Models()) {
      const absl::StatusOr<int64_t> planned =
          PlanSample(request, *chunk, model, limits);
      if (!planned.ok()) continue;
      FUZZ_CHECK(*planned >= 1 && *planned <= *chunk);
      const int64_t bytes =
          *planned * SampleChunkBytesPerPoint(model, request.trajectory());
      FUZZ_CHECK(bytes <= limits.max_message_bytes);
    }
  }
}

void CheckDecoded(const v1::Points& points, const PointsLimits& limits) {
  const absl::StatusOr<torch::Tensor> x =
      DecodePoints(points, "points", limits);
  if (!x.ok()) return;
  FUZZ_CHECK(x->dim() == 2 && x->size(0) == points.rows() &&
             x->size(1) == points.cols());
  FUZZ_CHECK(limits.cols < 0 || x->size(1) == limits.cols);
  FUZZ_CHECK(x->size(0) <= limits.max_rows);
  FUZZ_CHECK(torch::isfinite(*x).all().item<bool>());
  FUZZ_CHECK(CheckPointRange(*x, "points").ok());
  std::vector<float> values;
  AppendPointsData(points, &values);
  FUZZ_CHECK(static_cast<int64_t>(values.size()) == x->numel());
}

void CheckLogLikelihood(const v1::LogLikelihoodRequest& request) {
  const absl::StatusOr<int64_t> probes = ValidateLogLikelihoodRequest(request);
  for (const ServingLimits& limits : Limits()) {
    for (const FlowModel& model : Models()) {
      if (probes.ok()) {
        FUZZ_CHECK(*probes >= 1 && *probes <= 1024);
        // Refusals are fine; a crash or an overflow is not.
        (void)CheckLogLikelihoodBudget(request, *probes, model, limits);
      }
      PointsLimits points_limits;
      points_limits.cols = model.dim();
      points_limits.max_rows = limits.max_samples_per_request;
      CheckDecoded(request.points(), points_limits);
    }
  }
  CheckDecoded(request.points(), PointsLimits());
}

}  // namespace
}  // namespace jkoflow

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int length = static_cast<int>(size);
  if (static_cast<size_t>(length) != size) return 0;
  jkoflow::v1::SampleRequest sample;
  if (sample.ParseFromArray(data, length)) jkoflow::CheckSample(sample);
  jkoflow::v1::LogLikelihoodRequest loglik;
  if (loglik.ParseFromArray(data, length)) {
    jkoflow::CheckLogLikelihood(loglik);
  }
  return 0;
}
