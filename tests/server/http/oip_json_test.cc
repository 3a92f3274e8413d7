#include "server/http/oip_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "server/http/http_status.h"

namespace jkoflow {
namespace {

using nlohmann::json;

absl::StatusCode CodeOf(const std::string& body) {
  return InferRequestFromJson(body, "m", "").status().code();
}

TEST(OipJsonTest, ReadsNestedDataParametersAndOutputs) {
  absl::StatusOr<inference::ModelInferRequest> r = InferRequestFromJson(
      R"({"id": "a", "parameters": {"seed": 7, "method": "exact",
          "big": 18446744073709551615, "flag": true, "scale": 0.5},
          "inputs": [{"name": "x", "datatype": "FP32", "shape": [2, 2],
                      "data": [[1, 2.5], [-3, 4e-3]]}],
          "outputs": [{"name": "log_prob"}]})",
      "m", "3");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->model_name(), "m");
  EXPECT_EQ(r->model_version(), "3");
  EXPECT_EQ(r->id(), "a");
  EXPECT_EQ(r->parameters().at("seed").int64_param(), 7);
  EXPECT_EQ(r->parameters().at("method").string_param(), "exact");
  EXPECT_EQ(r->parameters().at("big").uint64_param(),
            std::numeric_limits<uint64_t>::max());
  EXPECT_TRUE(r->parameters().at("flag").bool_param());
  EXPECT_EQ(r->parameters().at("scale").double_param(), 0.5);
  const auto& x = r->inputs(0);
  EXPECT_EQ(x.shape_size(), 2);
  ASSERT_EQ(x.contents().fp32_contents_size(), 4);
  EXPECT_EQ(x.contents().fp32_contents(1), 2.5f);
  EXPECT_EQ(x.contents().fp32_contents(3), 4e-3f);
  EXPECT_EQ(r->outputs(0).name(), "log_prob");
}

TEST(OipJsonTest, EachDatatypeTakesOnlyItsValues) {
  const auto input = [](const std::string& type, const std::string& data) {
    return CodeOf(R"({"inputs": [{"name": "n", "datatype": ")" + type +
                  R"(", "shape": [1], "data": [)" + data + "]}]}");
  };
  EXPECT_EQ(input("INT64", "5"), absl::StatusCode::kOk);
  EXPECT_EQ(input("INT64", "-5"), absl::StatusCode::kOk);
  EXPECT_EQ(input("INT64", "1.5"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(input("INT64", "18446744073709551615"),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(input("INT8", "127"), absl::StatusCode::kOk);
  EXPECT_EQ(input("INT8", "128"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(input("UINT8", "-1"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(input("UINT64", "18446744073709551615"), absl::StatusCode::kOk);
  EXPECT_EQ(input("BOOL", "true"), absl::StatusCode::kOk);
  EXPECT_EQ(input("BOOL", "1"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(input("FP64", "\"x\""), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(input("BYTES", "\"x\""), absl::StatusCode::kOk);
  EXPECT_EQ(input("FP16", "1"), absl::StatusCode::kInvalidArgument);
}

TEST(OipJsonTest, MalformedBodiesNameTheField) {
  EXPECT_EQ(CodeOf("{"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf("[]"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(R"({"inputs": {}})"), absl::StatusCode::kInvalidArgument);
  const absl::Status s =
      InferRequestFromJson(R"({"inputs": [{"name": "x", "datatype": "FP32",
                               "shape": [-1], "data": [1]}]})",
                           "m", "")
          .status();
  EXPECT_NE(s.message().find("inputs[0].shape"), std::string::npos) << s;
  const std::string deep = std::string(100, '[') + std::string(100, ']');
  EXPECT_EQ(CodeOf(R"({"inputs": [{"name": "x", "datatype": "FP32",
                       "shape": [1], "data": )" +
                   deep + "}]}"),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(R"({"inputs": [], "parameters": {"p": [1]}})"),
            absl::StatusCode::kInvalidArgument);
}

TEST(OipJsonTest, ResponsesRoundTripExactly) {
  inference::ModelInferResponse r;
  r.set_model_name("m");
  r.set_model_version("2");
  auto* out = r.add_outputs();
  out->set_name("log_prob");
  out->set_datatype("FP32");
  out->add_shape(3);
  const float values[] = {-2.4711041f, 1e-38f, 3.4028235e38f};
  for (float v : values) out->mutable_contents()->add_fp32_contents(v);
  const json j = json::parse(InferResponseToJson(r).dump());
  EXPECT_EQ(j["model_version"], "2");
  const json& data = j["outputs"][0]["data"];
  ASSERT_EQ(data.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(static_cast<float>(data[i].get<double>()), values[i]);
  }
  EXPECT_EQ(j["outputs"][0]["shape"], json::array({3}));
}

TEST(HttpStatusTest, CodesMapOnce) {
  EXPECT_EQ(HttpStatusFor(grpc::StatusCode::OK), 200);
  EXPECT_EQ(HttpStatusFor(grpc::StatusCode::INVALID_ARGUMENT), 400);
  EXPECT_EQ(HttpStatusFor(grpc::StatusCode::UNAUTHENTICATED), 401);
  EXPECT_EQ(HttpStatusFor(grpc::StatusCode::PERMISSION_DENIED), 403);
  EXPECT_EQ(HttpStatusFor(grpc::StatusCode::NOT_FOUND), 404);
  EXPECT_EQ(HttpStatusFor(grpc::StatusCode::RESOURCE_EXHAUSTED), 429);
  EXPECT_EQ(HttpStatusFor(grpc::StatusCode::UNAVAILABLE), 503);
  EXPECT_EQ(HttpStatusFor(grpc::StatusCode::DEADLINE_EXCEEDED), 504);
  EXPECT_EQ(HttpStatusFor(grpc::StatusCode::DATA_LOSS), 500);
}

}  // namespace
}  // namespace jkoflow
