#include "server/rpc/infer_request.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "absl/strings/match.h"

namespace jkoflow {
namespace {

using Request = inference::ModelInferRequest;

Request PointsRequest(int64_t rows, int64_t cols) {
  Request r;
  r.set_model_name("m");
  auto* x = r.add_inputs();
  x->set_name("x");
  x->set_datatype("FP32");
  x->add_shape(rows);
  x->add_shape(cols);
  for (int64_t i = 0; i < rows * cols; ++i) {
    x->mutable_contents()->add_fp32_contents(0.5f * static_cast<float>(i));
  }
  return r;
}

Request CountRequest(int64_t n) {
  Request r;
  r.set_model_name("m");
  auto* input = r.add_inputs();
  input->set_name("n");
  input->set_datatype("INT64");
  input->add_shape(1);
  input->mutable_contents()->add_int64_contents(n);
  return r;
}

// ExpectInvalid() checks that `r` is refused with a message holding `text`.
void ExpectInvalid(const Request& r, const std::string& text, int64_t dim = 2) {
  const absl::StatusOr<InferCall> call = TranslateInferRequest(r, 0, dim);
  ASSERT_FALSE(call.ok()) << text;
  EXPECT_EQ(call.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(call.status().message(), text))
      << call.status();
}

TEST(ParseModelVersionTest, EmptyIsNewestAndOthersMustBePositive) {
  EXPECT_EQ(*ParseModelVersion("", "v"), 0);
  EXPECT_EQ(*ParseModelVersion("12", "v"), 12);
  EXPECT_FALSE(ParseModelVersion("0", "v").ok());
  EXPECT_FALSE(ParseModelVersion("-3", "v").ok());
  EXPECT_FALSE(ParseModelVersion("v1", "model_version").ok());
}

TEST(TranslateInferRequestTest, TypedPointsBecomeALogLikelihoodRequest) {
  Request r = PointsRequest(3, 2);
  (*r.mutable_parameters())["method"].set_string_param("hutchinson");
  (*r.mutable_parameters())["probes"].set_int64_param(4);
  (*r.mutable_parameters())["seed"].set_uint64_param(99);
  const absl::StatusOr<InferCall> call = TranslateInferRequest(r, 7, 2);
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_FALSE(call->is_sample);
  EXPECT_FALSE(call->raw);
  const v1::LogLikelihoodRequest& ll = call->log_likelihood;
  EXPECT_EQ(ll.model().name(), "m");
  EXPECT_EQ(ll.model().version(), 7);
  EXPECT_EQ(ll.method(), v1::DIVERGENCE_METHOD_HUTCHINSON);
  EXPECT_EQ(ll.probes(), 4);
  EXPECT_EQ(ll.seed(), 99u);
  ASSERT_EQ(ll.points().rows(), 3);
  ASSERT_EQ(ll.points().cols(), 2);
  ASSERT_EQ(ll.points().data().size(), 24u);
  float last;
  std::memcpy(&last, ll.points().data().data() + 20, 4);
  EXPECT_EQ(last, 2.5f);
}

TEST(TranslateInferRequestTest, RawPointsArePassedThrough) {
  Request r = PointsRequest(2, 2);
  r.mutable_inputs(0)->clear_contents();
  std::string bytes(16, '\0');
  const float values[4] = {1, 2, 3, 4};
  std::memcpy(bytes.data(), values, 16);
  r.add_raw_input_contents(bytes);
  const absl::StatusOr<InferCall> call = TranslateInferRequest(r, 0, 2);
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_TRUE(call->raw);
  EXPECT_EQ(call->log_likelihood.points().data(), bytes);
}

TEST(TranslateInferRequestTest, CountBecomesASampleRequest) {
  for (const bool raw : {false, true}) {
    Request r = CountRequest(5);
    if (raw) {
      r.mutable_inputs(0)->clear_contents();
      const int64_t n = 5;
      std::string bytes(8, '\0');
      std::memcpy(bytes.data(), &n, 8);  // little-endian host
      r.add_raw_input_contents(bytes);
    }
    (*r.mutable_parameters())["seed"].set_int64_param(3);
    const absl::StatusOr<InferCall> call = TranslateInferRequest(r, 0, 2);
    ASSERT_TRUE(call.ok()) << call.status();
    EXPECT_TRUE(call->is_sample);
    EXPECT_EQ(call->raw, raw);
    EXPECT_EQ(call->sample.n(), 5);
    EXPECT_EQ(call->sample.seed(), 3u);
  }
}

TEST(TranslateInferRequestTest, RefusesWrongNamesTypesAndShapes) {
  Request none;
  ExpectInvalid(none, "expected one input");
  Request wrong_name = PointsRequest(2, 2);
  wrong_name.mutable_inputs(0)->set_name("y");
  ExpectInvalid(wrong_name, "input 'y': unknown");
  Request wrong_type = PointsRequest(2, 2);
  wrong_type.mutable_inputs(0)->set_datatype("FP64");
  ExpectInvalid(wrong_type, "input 'x': datatype must be FP32");
  ExpectInvalid(PointsRequest(2, 3), "input 'x': shape must be [N, 2]");
  Request short_contents = PointsRequest(2, 2);
  short_contents.mutable_inputs(0)
      ->mutable_contents()
      ->mutable_fp32_contents()
      ->RemoveLast();
  ExpectInvalid(short_contents, "contents hold 3 values");
  Request mixed = PointsRequest(2, 2);
  mixed.mutable_inputs(0)->mutable_contents()->add_fp64_contents(1.0);
  ExpectInvalid(mixed, "go in their own field only");
  Request raw_short = PointsRequest(2, 2);
  raw_short.mutable_inputs(0)->clear_contents();
  raw_short.add_raw_input_contents(std::string(15, '\0'));
  ExpectInvalid(raw_short, "raw_input_contents holds 15 bytes");
  Request count_shape = CountRequest(3);
  count_shape.mutable_inputs(0)->add_shape(1);
  ExpectInvalid(count_shape, "input 'n': shape must be [1]");
  Request count_type = CountRequest(3);
  count_type.mutable_inputs(0)->set_datatype("INT32");
  ExpectInvalid(count_type, "input 'n': datatype must be INT64");
}

TEST(TranslateInferRequestTest, RefusesUnknownOutputsAndParameters) {
  Request output = PointsRequest(1, 2);
  output.add_outputs()->set_name("samples");
  ExpectInvalid(output, "output 'samples': unknown for input 'x'");
  Request parameter = PointsRequest(1, 2);
  (*parameter.mutable_parameters())["temperature"].set_double_param(1.0);
  ExpectInvalid(parameter, "parameter 'temperature': unknown");
  Request method = PointsRequest(1, 2);
  (*method.mutable_parameters())["method"].set_string_param("approx");
  ExpectInvalid(method, "parameter 'method'");
  Request seed = PointsRequest(1, 2);
  (*seed.mutable_parameters())["seed"].set_string_param("7");
  ExpectInvalid(seed, "parameter 'seed': must be an integer");
}

}  // namespace
}  // namespace jkoflow
