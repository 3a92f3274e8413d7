#include "server/rpc/infer_request.h"

#include <algorithm>
#include <limits>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/points_wire.h"
#include "base/status_macros.h"
#include "server/rpc/flow_requests.h"

namespace jkoflow {
namespace {

using InputTensor = inference::ModelInferRequest::InferInputTensor;
using Parameters =
    google::protobuf::Map<std::string, inference::InferParameter>;

std::string ShapeString(const InputTensor& input) {
  return absl::StrCat("[", absl::StrJoin(input.shape(), ", "), "]");
}

// Named() prefixes an error about `input` with its name.
absl::Status Named(const InputTensor& input, absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat("input '", input.name(), "': ", message));
}

// OtherContents() is how many typed values `contents` holds outside the
// datatype's own field, which holds `own`.
int64_t OtherContents(const inference::InferTensorContents& c, int64_t own) {
  const int64_t all = c.bool_contents_size() + c.int_contents_size() +
                      c.int64_contents_size() + c.uint_contents_size() +
                      c.uint64_contents_size() + c.fp32_contents_size() +
                      c.fp64_contents_size() + c.bytes_contents_size();
  return all - own;
}

// InputBytes() returns the input's values as little-endian bytes of
// `width` bytes each: from raw_input_contents[0] when `raw`, else from its
// typed contents (`own` values in the datatype's field, copied by `copy`).
template <typename Copy>
absl::StatusOr<std::string> InputBytes(const inference::ModelInferRequest& r,
                                       bool raw, int64_t count, int64_t width,
                                       int64_t own, const Copy& copy) {
  const InputTensor& input = r.inputs(0);
  if (raw) {
    const std::string& bytes = r.raw_input_contents(0);
    if (static_cast<int64_t>(bytes.size()) != count * width) {
      return Named(input,
                   absl::StrCat("raw_input_contents holds ", bytes.size(),
                                " bytes; shape ", ShapeString(input), " of ",
                                input.datatype(), " needs ", count * width));
    }
    return bytes;
  }
  if (OtherContents(input.contents(), own) != 0) {
    return Named(input, absl::StrCat("contents of datatype ", input.datatype(),
                                     " go in their own field only"));
  }
  if (own != count) {
    return Named(input, absl::StrCat("contents hold ", own, " values; shape ",
                                     ShapeString(input), " needs ", count));
  }
  std::string bytes(static_cast<size_t>(count * width), '\0');
  copy(bytes.data());
  return bytes;
}

// ReadParameters() reads method, probes and seed into `ll` and `sample`;
// INVALID_ARGUMENT for an unknown parameter or one of the wrong type.
absl::Status ReadParameters(const Parameters& parameters,
                            v1::LogLikelihoodRequest* ll,
                            v1::SampleRequest* sample) {
  for (const auto& [name, value] : parameters) {
    const auto is_integer = [&] {
      return value.parameter_choice_case() ==
                 inference::InferParameter::kInt64Param ||
             value.parameter_choice_case() ==
                 inference::InferParameter::kUint64Param;
    };
    const auto integer = [&]() -> uint64_t {
      return value.parameter_choice_case() ==
                     inference::InferParameter::kInt64Param
                 ? static_cast<uint64_t>(value.int64_param())
                 : value.uint64_param();
    };
    if (name == "method") {
      if (value.string_param() == "exact") {
        ll->set_method(v1::DIVERGENCE_METHOD_EXACT);
      } else if (value.string_param() == "hutchinson") {
        ll->set_method(v1::DIVERGENCE_METHOD_HUTCHINSON);
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("parameter 'method': must be the string \"exact\" or "
                         "\"hutchinson\", got ",
                         value.ShortDebugString()));
      }
    } else if (name == "probes") {
      if (!is_integer() || value.int64_param() < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "parameter 'probes': must be an integer in [0, 1024], got ",
            value.ShortDebugString()));
      }
      ll->set_probes(static_cast<int64_t>(
          std::min<uint64_t>(integer(), std::numeric_limits<int64_t>::max())));
    } else if (name == "seed") {
      if (!is_integer()) {
        return absl::InvalidArgumentError(
            absl::StrCat("parameter 'seed': must be an integer, got ",
                         value.ShortDebugString()));
      }
      ll->set_seed(integer());
      sample->set_seed(integer());
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter '", name,
                       "': unknown; jkoflow reads method, probes and seed"));
    }
  }
  return absl::OkStatus();
}

// CheckOutputs() checks that any requested output is `expected`.
absl::Status CheckOutputs(const inference::ModelInferRequest& r,
                          absl::string_view expected) {
  for (const auto& output : r.outputs()) {
    if (output.name() != expected) {
      return absl::InvalidArgumentError(absl::StrCat(
          "output '", output.name(), "': unknown for input '",
          r.inputs(0).name(), "'; its output is '", expected, "'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int64_t> ParseModelVersion(absl::string_view version,
                                          absl::string_view field) {
  if (version.empty()) return 0;
  int64_t value = 0;
  if (!absl::SimpleAtoi(version, &value) || value < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(field,
                     ": must be empty (the newest) or a positive "
                     "integer, got \"",
                     version, "\""));
  }
  return value;
}

absl::StatusOr<int64_t> ParseModelRef(absl::string_view name,
                                      absl::string_view version,
                                      absl::string_view version_field) {
  ASSIGN_OR_RETURN(const int64_t parsed,
                   ParseModelVersion(version, version_field));
  v1::ModelRef ref;
  ref.set_name(std::string(name));
  ref.set_version(parsed);
  RETURN_IF_ERROR(ValidateModelRef(ref));
  return parsed;
}

namespace {

// ReadPointsInput() fills call->log_likelihood's points from the 'x' input
// (FP32 [N, dim]).
absl::Status ReadPointsInput(const inference::ModelInferRequest& request,
                             const InputTensor& input, int64_t dim,
                             InferCall* call) {
  RETURN_IF_ERROR(CheckOutputs(request, kInferLogProbOutput));
  if (input.datatype() != "FP32") {
    return Named(input, absl::StrCat("datatype must be FP32, got \"",
                                     input.datatype(), "\""));
  }
  if (input.shape_size() != 2 || input.shape(0) < 1 || input.shape(1) != dim) {
    return Named(input, absl::StrCat("shape must be [N, ", dim,
                                     "] with N ≥ 1 (the model's dimension "
                                     "is ",
                                     dim, "), got ", ShapeString(input)));
  }
  const int64_t rows = input.shape(0);
  if (rows > std::numeric_limits<int64_t>::max() / 4 / dim) {
    return Named(input,
                 absl::StrCat("shape ", ShapeString(input), " is too large"));
  }
  const auto& values = input.contents().fp32_contents();
  ASSIGN_OR_RETURN(std::string bytes,
                   InputBytes(request, call->raw, rows * dim, 4, values.size(),
                              [&](char* out) {
                                CopyLittleEndianFloats(values.data(),
                                                       values.size(), out);
                              }));
  v1::Points* points = call->log_likelihood.mutable_points();
  points->set_rows(rows);
  points->set_cols(dim);
  points->set_data(std::move(bytes));
  return absl::OkStatus();
}

// ReadCountInput() sets call->sample's n from the 'n' input (INT64 [1]).
absl::Status ReadCountInput(const inference::ModelInferRequest& request,
                            const InputTensor& input, InferCall* call) {
  call->is_sample = true;
  RETURN_IF_ERROR(CheckOutputs(request, kInferSamplesOutput));
  if (input.datatype() != "INT64") {
    return Named(input, absl::StrCat("datatype must be INT64, got \"",
                                     input.datatype(), "\""));
  }
  if (input.shape_size() != 1 || input.shape(0) != 1) {
    return Named(input,
                 absl::StrCat("shape must be [1], got ", ShapeString(input)));
  }
  const auto& values = input.contents().int64_contents();
  ASSIGN_OR_RETURN(
      std::string bytes,
      InputBytes(request, call->raw, 1, 8, values.size(), [&](char* out) {
        uint64_t v = static_cast<uint64_t>(values[0]);
        for (int b = 0; b < 8; ++b) {
          out[b] = static_cast<char>(v >> (8 * b));
        }
      }));
  uint64_t n = 0;
  for (int b = 7; b >= 0; --b) {
    n = (n << 8) | static_cast<unsigned char>(bytes[b]);
  }
  call->sample.set_n(static_cast<int64_t>(n));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<InferCall> TranslateInferRequest(
    const inference::ModelInferRequest& request, int64_t version, int64_t dim) {
  if (request.inputs_size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "inputs: expected one input, 'x' (FP32 [N, D]) for log_prob or 'n' "
        "(INT64 [1]) for samples; got ",
        request.inputs_size()));
  }
  const InputTensor& input = request.inputs(0);
  InferCall call;
  call.raw = request.raw_input_contents_size() > 0;
  if (call.raw && request.raw_input_contents_size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "raw_input_contents: expected one entry per input (1), got ",
        request.raw_input_contents_size()));
  }
  v1::ModelRef model;
  model.set_name(request.model_name());
  model.set_version(version);
  *call.log_likelihood.mutable_model() = model;
  *call.sample.mutable_model() = model;
  RETURN_IF_ERROR(
      ReadParameters(request.parameters(), &call.log_likelihood, &call.sample));
  if (input.name() == kInferPointsInput) {
    RETURN_IF_ERROR(ReadPointsInput(request, input, dim, &call));
    return call;
  }
  if (input.name() == kInferCountInput) {
    RETURN_IF_ERROR(ReadCountInput(request, input, &call));
    return call;
  }
  return Named(input,
               "unknown; the inputs are 'x' (FP32 [N, D], for "
               "log_prob) and 'n' (INT64 [1], for samples)");
}

}  // namespace jkoflow
