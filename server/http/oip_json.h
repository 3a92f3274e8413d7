#ifndef JKOFLOW_SERVER_HTTP_OIP_JSON_H_
#define JKOFLOW_SERVER_HTTP_OIP_JSON_H_

// The Open Inference Protocol's REST/JSON bodies (KServe v2) to and from
// its gRPC messages, so that a REST call is the gRPC call it translates
// to: the same validation, limits, batching, auth and metrics.

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "inference/grpc_service.pb.h"

namespace jkoflow {

// InferRequestFromJson() reads a POST …/infer body for model `name`,
// version `version` ("" for the newest): {"id"?, "parameters"?,
// "inputs": [{"name", "shape", "datatype", "data", "parameters"?}],
// "outputs"?: [{"name", "parameters"?}]}. `data` may be flat or nested
// row-major; values go to the contents field of the datatype (BOOL, INT8 …
// INT64, UINT8 … UINT64, FP32, FP64, BYTES as strings). Parameters map
// JSON booleans, integers, numbers and strings to InferParameter.
// INVALID_ARGUMENT naming the field for a body that is not such JSON;
// the tensors' shapes and names are checked by the gRPC service.
absl::StatusOr<inference::ModelInferRequest> InferRequestFromJson(
    const std::string& body, const std::string& name,
    const std::string& version);

// InferResponseToJson() writes a ModelInferResponse as the REST response:
// {"model_name", "model_version", "id", "parameters"?, "outputs": [{"name",
// "datatype", "shape", "data"}]}, with data flat in row-major order from
// the typed contents (a request read by InferRequestFromJson() is never
// raw, so neither is its answer). Numbers are written to round trip
// exactly: a REST answer is bit-equal to the gRPC one.
nlohmann::json InferResponseToJson(const inference::ModelInferResponse& r);

// ModelMetadataToJson() and ServerMetadataToJson() write the metadata
// responses as the REST routes return them.
nlohmann::json ModelMetadataToJson(const inference::ModelMetadataResponse& r);
nlohmann::json ServerMetadataToJson(const inference::ServerMetadataResponse& r);

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_HTTP_OIP_JSON_H_
