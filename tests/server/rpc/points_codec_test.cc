#include "server/rpc/points_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "absl/strings/match.h"

namespace jkoflow {
namespace {

v1::Points MakePoints(int64_t rows, int64_t cols,
                      const std::vector<float>& values) {
  v1::Points p;
  p.set_rows(rows);
  p.set_cols(cols);
  p.set_data(std::string(reinterpret_cast<const char*>(values.data()),
                         values.size() * sizeof(float)));
  return p;
}

void ExpectInvalid(const absl::Status& s, const std::string& needle) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), needle)) << s;
}

TEST(PointsCodecTest, DecodesRowMajorFloats) {
  const v1::Points p = MakePoints(2, 3, {1, 2, 3, 4, 5, 6});
  absl::StatusOr<torch::Tensor> x = DecodePoints(p, "points", {});
  ASSERT_TRUE(x.ok()) << x.status();
  EXPECT_EQ(x->sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(x->scalar_type(), torch::kFloat32);
  EXPECT_EQ((*x)[1][0].item<float>(), 4.0f);
  EXPECT_EQ((*x)[0][2].item<float>(), 3.0f);
}

TEST(PointsCodecTest, EncodeDecodeRoundTripIsExact) {
  const torch::Tensor x = torch::randn({5, 4}, torch::kFloat64);
  v1::Points p;
  ASSERT_TRUE(EncodePoints(x, &p).ok());
  EXPECT_EQ(p.rows(), 5);
  EXPECT_EQ(p.cols(), 4);
  EXPECT_EQ(p.data().size(), 5u * 4u * 4u);
  absl::StatusOr<torch::Tensor> back = DecodePoints(p, "points", {});
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(torch::equal(*back, x.to(torch::kFloat32)));
}

TEST(PointsCodecTest, RejectsBadShapes) {
  ExpectInvalid(DecodePoints(MakePoints(0, 2, {}), "points", {}).status(),
                "points.rows");
  ExpectInvalid(DecodePoints(MakePoints(1, 0, {}), "points", {}).status(),
                "points.cols");
  ExpectInvalid(DecodePoints(MakePoints(-3, 2, {}), "points", {}).status(),
                "points.rows");
}

TEST(PointsCodecTest, RejectsDataOfTheWrongLength) {
  ExpectInvalid(
      DecodePoints(MakePoints(2, 2, {1, 2, 3}), "points", {}).status(),
      "points.data");
  // A huge shape must not overflow into a match.
  v1::Points p = MakePoints(int64_t{1} << 40, int64_t{1} << 40, {1, 2});
  ExpectInvalid(DecodePoints(p, "points", {}).status(), "points.data");
}

TEST(PointsCodecTest, RejectsNonFiniteValuesNamingTheCell) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  ExpectInvalid(
      DecodePoints(MakePoints(2, 2, {1, 2, nan, 4}), "points", {}).status(),
      "row 1, column 0 is NaN");
  ExpectInvalid(DecodePoints(MakePoints(1, 2, {inf, 2}), "points", {}).status(),
                "Inf");
}

TEST(PointsCodecTest, EnforcesTheModelDimensionAndTheRowLimit) {
  PointsLimits limits;
  limits.cols = 2;
  limits.max_rows = 2;
  ExpectInvalid(
      DecodePoints(MakePoints(1, 3, {1, 2, 3}), "points", limits).status(),
      "expected 2");
  ExpectInvalid(
      DecodePoints(MakePoints(3, 2, {1, 2, 3, 4, 5, 6}), "points", limits)
          .status(),
      "--max_samples_per_request");
  EXPECT_TRUE(
      DecodePoints(MakePoints(2, 2, {1, 2, 3, 4}), "points", limits).ok());
}

TEST(PointsCodecTest, AppendPointsDataAppends) {
  std::vector<float> values = {9};
  AppendPointsData(MakePoints(1, 2, {1, 2}), &values);
  EXPECT_EQ(values, (std::vector<float>{9, 1, 2}));
}

TEST(PointsCodecTest, EncodeRejectsNonMatrices) {
  v1::Points p;
  EXPECT_EQ(EncodePoints(torch::zeros({3}), &p).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodePoints(torch::Tensor(), &p).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace jkoflow
