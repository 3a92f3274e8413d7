#include "server/rpc/flow_service.h"

#include <cmath>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "core/torchscript_export.h"
#include "server/rpc/loglik_call.h"
#include "server/rpc/model_info.h"
#include "server/rpc/points_codec.h"
#include "server/rpc/sample_stream.h"
#include "server/rpc/status_map.h"
#include "server/rpc/unary_call.h"

namespace jkoflow {
namespace {

using RefusedSample = RefusedStream<grpc::ServerWriteReactor<v1::SampleChunk>>;

// The response's framing beside the archive (name, version, tags).
constexpr int64_t kExportOverheadBytes = 4096;

// FillExport() exports `model` into `response`; RESOURCE_EXHAUSTED when the
// archive would not fit a message of `max_message_bytes`.
absl::Status FillExport(const ModelVersion& model, int64_t max_message_bytes,
                        v1::ExportModelResponse* response) {
  ASSIGN_OR_RETURN(
      std::string bytes,
      ExportTorchScript(*model.model, {model.name, model.version}));
  const int64_t size = static_cast<int64_t>(bytes.size());
  if (size + kExportOverheadBytes > max_message_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "export: the module of ", model.name, " v", model.version, " is ", size,
        " bytes, over the server's --max_message_bytes ", max_message_bytes));
  }
  response->set_torchscript(std::move(bytes));
  response->set_name(model.name);
  response->set_model_version(model.version);
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* FlowService::ListModels(
    grpc::CallbackServerContext* context, const v1::ListModelsRequest*,
    v1::ListModelsResponse* response) {
  UnaryCall call(context, metrics_, "ListModels");
  if (draining()) {
    call.Finish(DrainingError());
    return call.reactor();
  }
  for (const ModelVersion& version : registry_->List()) {
    FillModelInfo(version, response->add_models());
  }
  call.Finish(absl::OkStatus());
  return call.reactor();
}

grpc::ServerUnaryReactor* FlowService::GetModel(
    grpc::CallbackServerContext* context, const v1::GetModelRequest* request,
    v1::ModelInfo* response) {
  UnaryCall call(context, metrics_, "GetModel");
  call.Finish([&]() -> absl::Status {
    if (draining()) return DrainingError();
    RETURN_IF_ERROR(ValidateModelRef(request->model()));
    ASSIGN_OR_RETURN(
        ModelVersion version,
        registry_->Get(request->model().name(), request->model().version()));
    FillModelInfo(version, response);
    return absl::OkStatus();
  }());
  return call.reactor();
}

grpc::ServerWriteReactor<v1::SampleChunk>* FlowService::Sample(
    grpc::CallbackServerContext* context, const v1::SampleRequest* request) {
  if (draining()) return new RefusedSample(metrics_, "Sample", DrainingError());
  absl::StatusOr<int64_t> chunk_points =
      ValidateSampleRequest(*request, limits_);
  if (!chunk_points.ok()) {
    return new RefusedSample(metrics_, "Sample", chunk_points.status());
  }
  absl::StatusOr<ModelVersion> model =
      registry_->Resolve(request->model().name(), request->model().version());
  if (!model.ok()) return new RefusedSample(metrics_, "Sample", model.status());
  chunk_points = PlanSample(*request, *chunk_points, *model->model, limits_);
  if (!chunk_points.ok()) {
    return new RefusedSample(metrics_, "Sample", chunk_points.status());
  }
  SampleStream::Params params;
  params.model = *std::move(model);
  params.n = request->n();
  params.seed = request->seed();
  params.chunk_points = *chunk_points;
  params.trajectory = request->trajectory();
  params.max_batch_points = limits_.max_batch_points;
  return SampleStream::Start(context, batcher_, metrics_, std::move(params));
}

grpc::ServerUnaryReactor* FlowService::LogLikelihood(
    grpc::CallbackServerContext* context,
    const v1::LogLikelihoodRequest* request,
    v1::LogLikelihoodResponse* response) {
  absl::StatusOr<LogLikelihoodParams> params =
      draining() ? absl::StatusOr<LogLikelihoodParams>(DrainingError())
                 : PrepareLogLikelihood(*request, *registry_, limits_);
  if (!params.ok()) {
    UnaryCall call(context, metrics_, "LogLikelihood");
    call.Finish(params.status());
    return call.reactor();
  }
  const int64_t dim = params->model.model->dim();
  const int64_t version = params->model.version;
  const bool integer = params->model.model->transform().Integer();
  return StartLogLikelihoodCall(
      context, batcher_, metrics_, *std::move(params),
      [response, dim, version, integer](absl::Span<const double> log_prob,
                                        absl::Span<const double> std_error) {
        double sum = 0;
        response->mutable_log_prob()->Reserve(
            static_cast<int>(log_prob.size()));
        for (const double value : log_prob) {
          response->add_log_prob(value);
          sum += value;
        }
        const double n = static_cast<double>(log_prob.size());
        const double mean = sum / n;
        const double bits_per_nat = 1.0 / (dim * std::log(2.0));
        response->set_mean_log_prob(mean);
        if (integer) response->set_bits_per_dim(-mean * bits_per_nat);
        if (!std_error.empty()) {
          double squares = 0;
          for (const double se : std_error) {
            response->add_log_prob_std_error(se);
            squares += se * se;
          }
          const double mean_error = std::sqrt(squares) / n;
          response->set_mean_log_prob_std_error(mean_error);
          if (integer) {
            response->set_bits_per_dim_std_error(mean_error * bits_per_nat);
          }
        }
        response->set_dim(dim);
        response->set_model_version(version);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* FlowService::LoadModel(
    grpc::CallbackServerContext* context, const v1::LoadModelRequest* request,
    v1::LoadModelResponse* response) {
  auto call = std::make_shared<UnaryCall>(context, metrics_, "LoadModel");
  grpc::ServerUnaryReactor* reactor = call->reactor();
  if (draining()) {
    call->Finish(DrainingError());
    return reactor;
  }
  absl::Status valid = ValidateModelRef(request->model());
  if (!valid.ok()) {
    call->Finish(valid);
    return reactor;
  }
  executor_->Schedule([this, call, request, response] {
    absl::StatusOr<std::vector<ModelVersion>> loaded =
        registry_->Load(request->model().name(), request->model().version());
    if (loaded.ok()) {
      for (const ModelVersion& version : *loaded) {
        FillModelInfo(version, response->add_models());
      }
    }
    call->Finish(loaded.status());
  });
  return reactor;
}

grpc::ServerUnaryReactor* FlowService::UnloadModel(
    grpc::CallbackServerContext* context, const v1::UnloadModelRequest* request,
    v1::UnloadModelResponse*) {
  UnaryCall call(context, metrics_, "UnloadModel");
  call.Finish([&]() -> absl::Status {
    if (draining()) return DrainingError();
    RETURN_IF_ERROR(ValidateModelRef(request->model()));
    return registry_->Unload(request->model().name(),
                             request->model().version());
  }());
  return call.reactor();
}

grpc::ServerUnaryReactor* FlowService::ExportModel(
    grpc::CallbackServerContext* context, const v1::ExportModelRequest* request,
    v1::ExportModelResponse* response) {
  auto call = std::make_shared<UnaryCall>(context, metrics_, "ExportModel");
  grpc::ServerUnaryReactor* reactor = call->reactor();
  absl::StatusOr<ModelVersion> model = [&]() -> absl::StatusOr<ModelVersion> {
    if (draining()) return DrainingError();
    RETURN_IF_ERROR(ValidateModelRef(request->model()));
    return registry_->Resolve(request->model().name(),
                              request->model().version());
  }();
  if (!model.ok()) {
    call->Finish(model.status());
    return reactor;
  }
  executor_->Schedule([this, call, model = *std::move(model), response] {
    call->Finish(FillExport(model, limits_.max_message_bytes, response));
  });
  return reactor;
}

}  // namespace jkoflow
