#include "server/rpc/loglik_call.h"

#include <ATen/ATen.h>

#include <cmath>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "server/rpc/batched_call.h"
#include "server/rpc/points_codec.h"

namespace jkoflow {

absl::StatusOr<LogLikelihoodParams> PrepareLogLikelihood(
    const v1::LogLikelihoodRequest& request, const ModelRegistry& registry,
    const ServingLimits& limits, absl::string_view points_field) {
  RETURN_IF_ERROR(ValidateLogLikelihoodRequest(request).status());
  ASSIGN_OR_RETURN(
      ModelVersion model,
      registry.Resolve(request.model().name(), request.model().version()));
  return PrepareLogLikelihood(request, std::move(model), limits, points_field);
}

absl::StatusOr<LogLikelihoodParams> PrepareLogLikelihood(
    const v1::LogLikelihoodRequest& request, ModelVersion model,
    const ServingLimits& limits, absl::string_view points_field) {
  LogLikelihoodParams params;
  ASSIGN_OR_RETURN(params.probes, ValidateLogLikelihoodRequest(request));
  params.model = std::move(model);
  RETURN_IF_ERROR(CheckLogLikelihoodBudget(request, params.probes,
                                           *params.model.model, limits));
  PointsLimits points_limits;
  points_limits.cols = params.model.model->dim();
  points_limits.max_rows = limits.max_samples_per_request;
  ASSIGN_OR_RETURN(params.points,
                   DecodePoints(request.points(), points_field, points_limits));
  params.hutchinson = request.method() == v1::DIVERGENCE_METHOD_HUTCHINSON;
  params.seed = request.seed();
  params.max_batch_points = limits.max_batch_points;
  return params;
}

grpc::ServerUnaryReactor* StartLogLikelihoodCall(
    grpc::CallbackServerContext* context, Batcher* batcher, Metrics* metrics,
    LogLikelihoodParams params, LogLikelihoodDone done) {
  struct Values {
    std::vector<double> log_prob;
    std::vector<double> std_error;
  };
  auto values = std::make_shared<Values>();
  values->log_prob.reserve(static_cast<size_t>(params.points.size(0)));
  BatchedCall::Params call;
  call.method = std::move(params.method);
  call.model = std::move(params.model);
  call.kind = params.hutchinson ? BatchKind::kLogLikelihoodHutchinson
                                : BatchKind::kLogLikelihood;
  call.total_rows = params.points.size(0);
  call.rows_at = [points = std::move(params.points)](int64_t offset,
                                                     int64_t count) {
    return absl::StatusOr<torch::Tensor>(points.narrow(0, offset, count));
  };
  call.probes = params.probes;
  call.seed = params.seed;
  call.max_batch_points = params.max_batch_points;
  call.collect = [values](int64_t first_row,
                          const BatchOutput& output) -> absl::Status {
    const torch::Tensor host = output.values.to(torch::kFloat64).contiguous();
    const double* data = host.data_ptr<double>();
    for (int64_t i = 0; i < host.numel(); ++i) {
      // Points within kMaxSquaredNorm keep log p finite for sane models;
      // this catches the rest.
      if (!std::isfinite(data[i])) {
        return absl::InvalidArgumentError(absl::StrCat(
            "points.data: log p of row ", first_row + i,
            " is not finite in float32 (the point is too far out for this "
            "model)"));
      }
    }
    values->log_prob.insert(values->log_prob.end(), data, data + host.numel());
    if (output.std_error.defined()) {
      const torch::Tensor error =
          output.std_error.to(torch::kFloat64).contiguous();
      const double* e = error.data_ptr<double>();
      values->std_error.insert(values->std_error.end(), e, e + error.numel());
    }
    return absl::OkStatus();
  };
  call.complete = [values, done = std::move(done)] {
    return done(values->log_prob, values->std_error);
  };
  return BatchedCall::Start(context, batcher, metrics, std::move(call));
}

}  // namespace jkoflow
