#ifndef JKOFLOW_SERVER_RPC_INFER_REQUEST_H_
#define JKOFLOW_SERVER_RPC_INFER_REQUEST_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "inference/grpc_service.pb.h"
#include "jkoflow/v1/flow.pb.h"

namespace jkoflow {

// The two signatures of a jkoflow model in the Open Inference Protocol:
//   log_prob: input "x" FP32 [N, D]  ->  output "log_prob" FP32 [N]
//   sample:   input "n" INT64 [1]    ->  output "samples" FP32 [n, D]
// Request parameters: "method" ("exact" or "hutchinson"), "probes" and
// "seed" (integers), as in FlowService.LogLikelihood and Sample.
inline constexpr absl::string_view kInferPointsInput = "x";
inline constexpr absl::string_view kInferCountInput = "n";
inline constexpr absl::string_view kInferLogProbOutput = "log_prob";
inline constexpr absl::string_view kInferSamplesOutput = "samples";

// ParseModelVersion() reads the protocol's version string: "" is 0 (the
// newest loaded version), else a positive decimal integer. INVALID_ARGUMENT
// naming `field` otherwise.
absl::StatusOr<int64_t> ParseModelVersion(absl::string_view version,
                                          absl::string_view field);

// ParseModelRef() is ParseModelVersion() of `version` followed by
// ValidateModelRef() of `name` with that version; returns the version.
absl::StatusOr<int64_t> ParseModelRef(absl::string_view name,
                                      absl::string_view version,
                                      absl::string_view version_field);

// InferCall is a ModelInfer request translated to jkoflow's own protocol:
// exactly one of `log_likelihood` and `sample` is set (per `is_sample`).
// `raw` says whether the input came as raw_input_contents (the response then
// answers with raw_output_contents).
struct InferCall {
  bool is_sample = false;
  bool raw = false;
  v1::LogLikelihoodRequest log_likelihood;
  v1::SampleRequest sample;
};

// TranslateInferRequest() checks `request` against the two signatures
// (input and requested output names, datatype, shape against `dim`, the
// model's dimension; contents in the datatype's field or in
// raw_input_contents, not both; the parameters' names and types) and
// translates it. INVALID_ARGUMENT naming the input, output or parameter.
// The values themselves (finite, within range) are checked by the
// FlowService validation that the result goes through.
absl::StatusOr<InferCall> TranslateInferRequest(
    const inference::ModelInferRequest& request, int64_t version, int64_t dim);

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_RPC_INFER_REQUEST_H_
