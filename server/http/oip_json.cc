#include "server/http/oip_json.h"

#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"

namespace jkoflow {
namespace {

using nlohmann::json;
using Parameters =
    google::protobuf::Map<std::string, inference::InferParameter>;

// Nested data deeper than this is refused (a tensor has a few dimensions;
// the limit keeps a hostile body from costing more than its size).
constexpr int kMaxDataDepth = 32;

absl::Status Invalid(const std::string& field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

absl::Status ParametersFromJson(const json& object, const std::string& field,
                                Parameters* out) {
  if (!object.is_object()) return Invalid(field, "must be an object");
  for (const auto& [key, value] : object.items()) {
    inference::InferParameter& p = (*out)[key];
    if (value.is_boolean()) {
      p.set_bool_param(value.get<bool>());
    } else if (value.is_number_unsigned() &&
               value.get<uint64_t>() >
                   static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      p.set_uint64_param(value.get<uint64_t>());
    } else if (value.is_number_integer()) {
      p.set_int64_param(value.get<int64_t>());
    } else if (value.is_number_float()) {
      p.set_double_param(value.get<double>());
    } else if (value.is_string()) {
      p.set_string_param(value.get<std::string>());
    } else {
      return Invalid(absl::StrCat(field, ".", key),
                     "must be a boolean, a number or a string");
    }
  }
  return absl::OkStatus();
}

// Flatten() lists the leaves of `data` (an array, nested or flat) in
// row-major order.
absl::StatusOr<std::vector<const json*>> Flatten(const json& data,
                                                 const std::string& field) {
  if (!data.is_array()) return Invalid(field, "must be an array");
  std::vector<const json*> leaves;
  std::vector<std::pair<const json*, int>> stack = {{&data, 0}};
  while (!stack.empty()) {
    const auto [node, depth] = stack.back();
    stack.pop_back();
    if (!node->is_array()) {
      leaves.push_back(node);
      continue;
    }
    if (depth >= kMaxDataDepth) return Invalid(field, "nested too deeply");
    for (auto it = node->rbegin(); it != node->rend(); ++it) {
      stack.emplace_back(&*it, depth + 1);
    }
  }
  return leaves;
}

// IntegerIn() reads an integer JSON number that fits T.
template <typename T>
bool IntegerIn(const json& v, T* out) {
  using Limits = std::numeric_limits<T>;
  if (!v.is_number_integer()) return false;  // unsigned ones included
  if (v.is_number_unsigned() || v.get<int64_t>() >= 0) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(Limits::max())) return false;
    *out = static_cast<T>(u);
    return true;
  }
  const int64_t i = v.get<int64_t>();
  if (std::is_unsigned_v<T> || i < static_cast<int64_t>(Limits::min())) {
    return false;
  }
  *out = static_cast<T>(i);
  return true;
}

// AppendValue() adds one leaf to the contents field of `datatype`; false
// when the value does not fit the type.
bool AppendValue(const std::string& datatype, const json& v,
                 inference::InferTensorContents* c) {
  if (datatype == "FP32" || datatype == "FP64") {
    if (!v.is_number()) return false;
    if (datatype == "FP32") {
      c->add_fp32_contents(static_cast<float>(v.get<double>()));
    } else {
      c->add_fp64_contents(v.get<double>());
    }
    return true;
  }
  if (datatype == "BOOL") {
    if (!v.is_boolean()) return false;
    c->add_bool_contents(v.get<bool>());
    return true;
  }
  if (datatype == "BYTES") {
    if (!v.is_string()) return false;
    c->add_bytes_contents(v.get<std::string>());
    return true;
  }
  int64_t i = 0;
  uint64_t u = 0;
  if (datatype == "INT8" || datatype == "INT16" || datatype == "INT32") {
    int32_t x = 0;
    const int bits = datatype == "INT8" ? 8 : datatype == "INT16" ? 16 : 32;
    if (!IntegerIn(v, &x) || x < -(int64_t{1} << (bits - 1)) ||
        x >= (int64_t{1} << (bits - 1))) {
      return false;
    }
    c->add_int_contents(x);
    return true;
  }
  if (datatype == "INT64") {
    if (!IntegerIn(v, &i)) return false;
    c->add_int64_contents(i);
    return true;
  }
  if (datatype == "UINT8" || datatype == "UINT16" || datatype == "UINT32") {
    uint32_t x = 0;
    const int bits = datatype == "UINT8" ? 8 : datatype == "UINT16" ? 16 : 32;
    if (!IntegerIn(v, &x) || (bits < 32 && x >= (uint32_t{1} << bits))) {
      return false;
    }
    c->add_uint_contents(x);
    return true;
  }
  if (datatype == "UINT64") {
    if (!IntegerIn(v, &u)) return false;
    c->add_uint64_contents(u);
    return true;
  }
  return false;
}

// The tensor datatypes of the protocol that JSON can carry.
constexpr const char* kDatatypes[] = {"BOOL",   "INT8",  "INT16",  "INT32",
                                      "INT64",  "UINT8", "UINT16", "UINT32",
                                      "UINT64", "FP32",  "FP64",   "BYTES"};

bool KnownDatatype(const std::string& t) {
  for (const char* known : kDatatypes) {
    if (t == known) return true;
  }
  return false;
}

absl::Status InputFromJson(const json& input, const std::string& field,
                           inference::ModelInferRequest::InferInputTensor* t) {
  if (!input.is_object()) return Invalid(field, "must be an object");
  if (!input.contains("name") || !input["name"].is_string()) {
    return Invalid(field + ".name", "must be a string");
  }
  t->set_name(input["name"].get<std::string>());
  if (!input.contains("datatype") || !input["datatype"].is_string() ||
      !KnownDatatype(input["datatype"].get<std::string>())) {
    return Invalid(
        field + ".datatype",
        absl::StrCat("must be one of ", absl::StrJoin(kDatatypes, ", ")));
  }
  const std::string datatype = input["datatype"].get<std::string>();
  t->set_datatype(datatype);
  if (!input.contains("shape") || !input["shape"].is_array()) {
    return Invalid(field + ".shape", "must be an array of integers");
  }
  for (const json& extent : input["shape"]) {
    int64_t e = 0;
    if (!IntegerIn(extent, &e) || e < 0) {
      return Invalid(field + ".shape", "must be an array of integers ≥ 0");
    }
    t->add_shape(e);
  }
  if (input.contains("parameters")) {
    RETURN_IF_ERROR(ParametersFromJson(
        input["parameters"], field + ".parameters", t->mutable_parameters()));
  }
  if (!input.contains("data")) return Invalid(field + ".data", "missing");
  absl::StatusOr<std::vector<const json*>> leaves =
      Flatten(input["data"], field + ".data");
  if (!leaves.ok()) return leaves.status();
  for (size_t i = 0; i < leaves->size(); ++i) {
    if (!AppendValue(datatype, *(*leaves)[i], t->mutable_contents())) {
      return Invalid(absl::StrCat(field, ".data[", i, "]"),
                     absl::StrCat("not a value of type ", datatype));
    }
  }
  return absl::OkStatus();
}

json ParametersToJson(const Parameters& parameters) {
  json out = json::object();
  for (const auto& [key, p] : parameters) {
    switch (p.parameter_choice_case()) {
      case inference::InferParameter::kBoolParam:
        out[key] = p.bool_param();
        break;
      case inference::InferParameter::kInt64Param:
        out[key] = p.int64_param();
        break;
      case inference::InferParameter::kStringParam:
        out[key] = p.string_param();
        break;
      case inference::InferParameter::kDoubleParam:
        out[key] = p.double_param();
        break;
      case inference::InferParameter::kUint64Param:
        out[key] = p.uint64_param();
        break;
      default:
        break;
    }
  }
  return out;
}

json ContentsToJson(const inference::InferTensorContents& c) {
  json data = json::array();
  for (float v : c.fp32_contents()) data.push_back(static_cast<double>(v));
  for (double v : c.fp64_contents()) data.push_back(v);
  for (int64_t v : c.int64_contents()) data.push_back(v);
  for (int32_t v : c.int_contents()) data.push_back(v);
  for (uint64_t v : c.uint64_contents()) data.push_back(v);
  for (uint32_t v : c.uint_contents()) data.push_back(v);
  for (bool v : c.bool_contents()) data.push_back(v);
  for (const std::string& v : c.bytes_contents()) data.push_back(v);
  return data;
}

json TensorMetadataToJson(
    const inference::ModelMetadataResponse::TensorMetadata& t) {
  return {{"name", t.name()},
          {"datatype", t.datatype()},
          {"shape", std::vector<int64_t>(t.shape().begin(), t.shape().end())}};
}

}  // namespace

absl::StatusOr<inference::ModelInferRequest> InferRequestFromJson(
    const std::string& body, const std::string& name,
    const std::string& version) {
  const json request = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded() || !request.is_object()) {
    return absl::InvalidArgumentError(
        "body: must be a JSON object (the inference request)");
  }
  inference::ModelInferRequest out;
  out.set_model_name(name);
  out.set_model_version(version);
  if (request.contains("id")) {
    if (!request["id"].is_string()) return Invalid("id", "must be a string");
    out.set_id(request["id"].get<std::string>());
  }
  if (request.contains("parameters")) {
    RETURN_IF_ERROR(ParametersFromJson(request["parameters"], "parameters",
                                       out.mutable_parameters()));
  }
  if (!request.contains("inputs") || !request["inputs"].is_array()) {
    return Invalid("inputs", "must be an array of tensors");
  }
  const json& inputs = request["inputs"];
  for (size_t i = 0; i < inputs.size(); ++i) {
    RETURN_IF_ERROR(InputFromJson(inputs[i], absl::StrCat("inputs[", i, "]"),
                                  out.add_inputs()));
  }
  if (request.contains("outputs")) {
    const json& outputs = request["outputs"];
    if (!outputs.is_array()) return Invalid("outputs", "must be an array");
    for (size_t i = 0; i < outputs.size(); ++i) {
      const std::string field = absl::StrCat("outputs[", i, "]");
      if (!outputs[i].is_object() || !outputs[i].contains("name") ||
          !outputs[i]["name"].is_string()) {
        return Invalid(field + ".name", "must be a string");
      }
      auto* o = out.add_outputs();
      o->set_name(outputs[i]["name"].get<std::string>());
      if (outputs[i].contains("parameters")) {
        RETURN_IF_ERROR(ParametersFromJson(outputs[i]["parameters"],
                                           field + ".parameters",
                                           o->mutable_parameters()));
      }
    }
  }
  return out;
}

json InferResponseToJson(const inference::ModelInferResponse& r) {
  json out = {{"model_name", r.model_name()},
              {"model_version", r.model_version()},
              {"outputs", json::array()}};
  if (!r.id().empty()) out["id"] = r.id();
  if (!r.parameters().empty())
    out["parameters"] = ParametersToJson(r.parameters());
  for (const auto& t : r.outputs()) {
    json tensor = {
        {"name", t.name()},
        {"datatype", t.datatype()},
        {"shape", std::vector<int64_t>(t.shape().begin(), t.shape().end())},
        {"data", ContentsToJson(t.contents())}};
    if (!t.parameters().empty()) {
      tensor["parameters"] = ParametersToJson(t.parameters());
    }
    out["outputs"].push_back(std::move(tensor));
  }
  return out;
}

json ModelMetadataToJson(const inference::ModelMetadataResponse& r) {
  json out = {{"name", r.name()},
              {"versions", std::vector<std::string>(r.versions().begin(),
                                                    r.versions().end())},
              {"platform", r.platform()},
              {"inputs", json::array()},
              {"outputs", json::array()}};
  for (const auto& t : r.inputs())
    out["inputs"].push_back(TensorMetadataToJson(t));
  for (const auto& t : r.outputs()) {
    out["outputs"].push_back(TensorMetadataToJson(t));
  }
  return out;
}

json ServerMetadataToJson(const inference::ServerMetadataResponse& r) {
  return {{"name", r.name()},
          {"version", r.version()},
          {"extensions", std::vector<std::string>(r.extensions().begin(),
                                                  r.extensions().end())}};
}

}  // namespace jkoflow
