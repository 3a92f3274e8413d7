#include "server/rpc/inference_service.h"

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "base/points_wire.h"
#include "base/status_macros.h"
#include "server/rpc/batched_call.h"
#include "server/rpc/infer_request.h"
#include "server/rpc/loglik_call.h"
#include "server/rpc/unary_call.h"

#ifndef JKOFLOW_VERSION
#define JKOFLOW_VERSION "unknown"
#endif

namespace jkoflow {
namespace {

// The protocol's framing around a response's values (names, shape).
constexpr int64_t kResponseOverheadBytes = 4096;

// SetOutput() makes `values` the response's one FP32 output: raw
// little-endian bytes when the request used raw inputs, else typed contents.
void SetOutput(absl::string_view name, std::vector<int64_t> shape,
               absl::Span<const float> values, bool raw,
               inference::ModelInferResponse* response) {
  auto* output = response->add_outputs();
  output->set_name(std::string(name));
  output->set_datatype("FP32");
  for (const int64_t extent : shape) output->add_shape(extent);
  if (raw) {
    std::string* bytes = response->add_raw_output_contents();
    bytes->resize(values.size() * sizeof(float));
    CopyLittleEndianFloats(values.data(), values.size(), bytes->data());
  } else {
    output->mutable_contents()->mutable_fp32_contents()->Add(values.begin(),
                                                             values.end());
  }
}

// SampleShape() is the shape of n samples of `model`: [n, dim], or
// [n, height, width] for an image-shaped model (n = −1 in a signature).
std::vector<int64_t> SampleShape(const FlowModel& model, int64_t n) {
  std::vector<int64_t> shape = {n};
  const std::vector<int64_t>& item = model.transform().item_shape();
  if (item.empty()) {
    shape.push_back(model.dim());
  } else {
    shape.insert(shape.end(), item.begin(), item.end());
  }
  return shape;
}

// Signature() describes one input or output in ModelMetadata.
void Signature(absl::string_view name, absl::string_view datatype,
               std::vector<int64_t> shape,
               inference::ModelMetadataResponse::TensorMetadata* out) {
  out->set_name(std::string(name));
  out->set_datatype(std::string(datatype));
  for (const int64_t extent : shape) out->add_shape(extent);
}

}  // namespace

absl::Status InferenceService::Admitted() const {
  if (draining_->load()) return DrainingError();
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* InferenceService::ServerLive(
    grpc::CallbackServerContext* context, const inference::ServerLiveRequest*,
    inference::ServerLiveResponse* response) {
  UnaryCall call(context, metrics_, "ServerLive");
  absl::Status admitted = Admitted();
  // A draining server is still alive.
  if (admitted.ok() || admitted.code() == absl::StatusCode::kUnavailable) {
    response->set_live(true);
    admitted = absl::OkStatus();
  }
  call.Finish(admitted);
  return call.reactor();
}

grpc::ServerUnaryReactor* InferenceService::ServerReady(
    grpc::CallbackServerContext* context, const inference::ServerReadyRequest*,
    inference::ServerReadyResponse* response) {
  UnaryCall call(context, metrics_, "ServerReady");
  absl::Status admitted = Admitted();
  if (admitted.code() == absl::StatusCode::kUnavailable) {
    admitted = absl::OkStatus();  // draining: not ready
  } else if (admitted.ok()) {
    response->set_ready(true);
  }
  call.Finish(admitted);
  return call.reactor();
}

grpc::ServerUnaryReactor* InferenceService::ModelReady(
    grpc::CallbackServerContext* context,
    const inference::ModelReadyRequest* request,
    inference::ModelReadyResponse* response) {
  UnaryCall call(context, metrics_, "ModelReady");
  call.Finish([&]() -> absl::Status {
    RETURN_IF_ERROR(Admitted());
    ASSIGN_OR_RETURN(
        const int64_t version,
        ParseModelRef(request->name(), request->version(), "version"));
    // Known but not loaded (or failed) is "not ready", not an error.
    absl::StatusOr<ModelVersion> model =
        registry_->Resolve(request->name(), version);
    if (!model.ok() &&
        model.status().code() != absl::StatusCode::kFailedPrecondition) {
      return model.status();
    }
    response->set_ready(model.ok());
    return absl::OkStatus();
  }());
  return call.reactor();
}

grpc::ServerUnaryReactor* InferenceService::ServerMetadata(
    grpc::CallbackServerContext* context,
    const inference::ServerMetadataRequest*,
    inference::ServerMetadataResponse* response) {
  UnaryCall call(context, metrics_, "ServerMetadata");
  call.Finish([&]() -> absl::Status {
    RETURN_IF_ERROR(Admitted());
    response->set_name("jkoflow");
    response->set_version(JKOFLOW_VERSION);
    return absl::OkStatus();
  }());
  return call.reactor();
}

grpc::ServerUnaryReactor* InferenceService::ModelMetadata(
    grpc::CallbackServerContext* context,
    const inference::ModelMetadataRequest* request,
    inference::ModelMetadataResponse* response) {
  UnaryCall call(context, metrics_, "ModelMetadata");
  call.Finish([&]() -> absl::Status {
    RETURN_IF_ERROR(Admitted());
    ASSIGN_OR_RETURN(
        const int64_t version,
        ParseModelRef(request->name(), request->version(), "version"));
    ASSIGN_OR_RETURN(ModelVersion model,
                     registry_->Resolve(request->name(), version));
    response->set_name(model.name);
    for (const ModelVersion& v : registry_->List()) {
      if (v.name == model.name && v.state == ModelVersionState::kLoaded) {
        response->add_versions(absl::StrCat(v.version));
      }
    }
    response->set_platform("jkoflow_libtorch");
    const int64_t dim = model.model->dim();
    Signature(kInferPointsInput, "FP32", {-1, dim}, response->add_inputs());
    Signature(kInferCountInput, "INT64", {1}, response->add_inputs());
    Signature(kInferLogProbOutput, "FP32", {-1}, response->add_outputs());
    Signature(kInferSamplesOutput, "FP32", SampleShape(*model.model, -1),
              response->add_outputs());
    return absl::OkStatus();
  }());
  return call.reactor();
}

grpc::ServerUnaryReactor* InferenceService::ModelInfer(
    grpc::CallbackServerContext* context,
    const inference::ModelInferRequest* request,
    inference::ModelInferResponse* response) {
  ModelVersion model;
  absl::StatusOr<InferCall> translated = [&]() -> absl::StatusOr<InferCall> {
    RETURN_IF_ERROR(Admitted());
    ASSIGN_OR_RETURN(const int64_t version,
                     ParseModelRef(request->model_name(),
                                   request->model_version(), "model_version"));
    ASSIGN_OR_RETURN(model, registry_->Resolve(request->model_name(), version));
    return TranslateInferRequest(*request, version, model.model->dim());
  }();
  if (!translated.ok()) {
    UnaryCall call(context, metrics_, "ModelInfer");
    call.Finish(translated.status());
    return call.reactor();
  }
  response->set_model_name(request->model_name());
  response->set_id(request->id());
  if (translated->is_sample) {
    return StartSample(context, translated->sample, std::move(model),
                       translated->raw, response);
  }
  return StartLogProb(context, std::move(translated->log_likelihood),
                      std::move(model), translated->raw, response);
}

grpc::ServerUnaryReactor* InferenceService::StartLogProb(
    grpc::CallbackServerContext* context, v1::LogLikelihoodRequest request,
    ModelVersion model, bool raw, inference::ModelInferResponse* response) {
  absl::StatusOr<LogLikelihoodParams> params = PrepareLogLikelihood(
      request, std::move(model), limits_, kInferPointsInput);
  if (!params.ok()) {
    UnaryCall call(context, metrics_, "ModelInfer");
    call.Finish(params.status());
    return call.reactor();
  }
  params->method = "ModelInfer";
  response->set_model_version(absl::StrCat(params->model.version));
  return StartLogLikelihoodCall(
      context, batcher_, metrics_, *std::move(params),
      [response, raw](absl::Span<const double> log_prob,
                      absl::Span<const double>) {
        // log p is computed in float32; the float64 values narrow exactly.
        const std::vector<float> values(log_prob.begin(), log_prob.end());
        SetOutput(kInferLogProbOutput, {static_cast<int64_t>(values.size())},
                  values, raw, response);
        return absl::OkStatus();
      });
}

namespace {

// CheckInferSample() refuses a sample request `model` cannot answer in one
// inference-protocol response: FlowService's limits, and the whole sample
// within --max_message_bytes.
absl::Status CheckInferSample(const v1::SampleRequest& request,
                              const ModelVersion& resolved,
                              const ServingLimits& limits) {
  ASSIGN_OR_RETURN(const int64_t chunk_points,
                   ValidateSampleRequest(request, limits));
  RETURN_IF_ERROR(
      PlanSample(request, chunk_points, *resolved.model, limits).status());
  const int64_t bytes =
      request.n() * resolved.model->dim() * 4 + kResponseOverheadBytes;
  if (bytes > limits.max_message_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "input 'n': ", request.n(), " samples of dimension ",
        resolved.model->dim(), " make a ", bytes,
        "-byte response, over --max_message_bytes (", limits.max_message_bytes,
        "); ask for fewer, or use jkoflow.v1.FlowService/Sample, which "
        "streams"));
  }
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* InferenceService::StartSample(
    grpc::CallbackServerContext* context, const v1::SampleRequest& request,
    ModelVersion resolved, bool raw, inference::ModelInferResponse* response) {
  if (absl::Status valid = CheckInferSample(request, resolved, limits_);
      !valid.ok()) {
    UnaryCall call(context, metrics_, "ModelInfer");
    call.Finish(valid);
    return call.reactor();
  }
  ModelVersion model = std::move(resolved);
  response->set_model_version(absl::StrCat(model.version));
  const int64_t n = request.n();
  const int64_t dim = model.model->dim();
  auto samples = std::make_shared<std::vector<float>>();
  samples->reserve(static_cast<size_t>(n * dim));
  auto noise = std::make_shared<torch::Tensor>();
  BatchedCall::Params call;
  call.method = "ModelInfer";
  call.kind = BatchKind::kSample;
  call.total_rows = n;
  // The whole noise is drawn from the seed once, on the first piece's batcher
  // thread, as FlowService.Sample does, so both give the same points.
  call.rows_at = [model = model.model, noise, n, seed = request.seed()](
                     int64_t offset,
                     int64_t count) -> absl::StatusOr<torch::Tensor> {
    if (!noise->defined()) {
      ASSIGN_OR_RETURN(*noise, model->Noise(n, seed));
    }
    return noise->narrow(0, offset, count);
  };
  call.model = std::move(model);
  call.max_batch_points = limits_.max_batch_points;
  call.collect = [samples](int64_t, const BatchOutput& output) {
    const torch::Tensor host =
        output.values.to(torch::kCPU, torch::kFloat32).contiguous();
    const float* data = host.data_ptr<float>();
    samples->insert(samples->end(), data, data + host.numel());
    return absl::OkStatus();
  };
  std::vector<int64_t> shape = SampleShape(*call.model.model, n);
  call.complete = [samples, response, raw, shape] {
    SetOutput(kInferSamplesOutput, shape, *samples, raw, response);
    return absl::OkStatus();
  };
  return BatchedCall::Start(context, batcher_, metrics_, std::move(call));
}

}  // namespace jkoflow
