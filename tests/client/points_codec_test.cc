#include "client/points_codec.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "client/point_matrix.h"
#include "gtest/gtest.h"

namespace jkoflow {
namespace {

PointMatrix Matrix(int64_t rows, int64_t cols) {
  PointMatrix m;
  m.rows = rows;
  m.cols = cols;
  for (int64_t i = 0; i < rows * cols; ++i) {
    m.values.push_back(0.25f * static_cast<float>(i) - 3.0f);
  }
  return m;
}

TEST(PointsCodecTest, RoundTripIsBitExact) {
  PointMatrix m = Matrix(5, 3);
  m.values[4] = std::numeric_limits<float>::denorm_min();
  m.values[7] = -0.0f;
  m.values[8] = std::numeric_limits<float>::max();
  v1::Points wire;
  ASSERT_TRUE(EncodePoints(m, &wire).ok());
  EXPECT_EQ(wire.rows(), 5);
  EXPECT_EQ(wire.cols(), 3);
  EXPECT_EQ(wire.data().size(), 5u * 3u * 4u);
  absl::StatusOr<PointMatrix> back = DecodePoints(wire);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->rows, 5);
  EXPECT_EQ(back->cols, 3);
  ASSERT_EQ(back->values.size(), m.values.size());
  EXPECT_EQ(std::memcmp(back->values.data(), m.values.data(),
                        m.values.size() * sizeof(float)),
            0);
}

TEST(PointsCodecTest, BytesAreLittleEndianRowMajor) {
  PointMatrix m;
  m.rows = 1;
  m.cols = 2;
  m.values = {1.0f, -2.0f};  // 0x3f800000, 0xc0000000
  v1::Points wire;
  ASSERT_TRUE(EncodePoints(m, &wire).ok());
  const std::string expected("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8);
  EXPECT_EQ(wire.data(), expected);
}

TEST(PointsCodecTest, EmptyMatrixRoundTrips) {
  v1::Points wire;
  ASSERT_TRUE(EncodePoints(Matrix(0, 2), &wire).ok());
  absl::StatusOr<PointMatrix> back = DecodePoints(wire);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->rows, 0);
  EXPECT_EQ(back->cols, 2);
  EXPECT_TRUE(back->values.empty());
}

TEST(PointsCodecTest, EncodeRejectsShapeMismatchAndLeavesOutput) {
  PointMatrix m = Matrix(2, 2);
  m.values.pop_back();
  v1::Points wire;
  wire.set_rows(7);
  const absl::Status status = EncodePoints(m, &wire);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("needs 4 values, got 3"), std::string::npos)
      << status;
  EXPECT_EQ(wire.rows(), 7);
}

TEST(PointsCodecTest, EncodeRejectsNegativeShape) {
  PointMatrix m;
  m.rows = -1;
  m.cols = 2;
  v1::Points wire;
  EXPECT_EQ(EncodePoints(m, &wire).code(), absl::StatusCode::kInvalidArgument);
}

TEST(PointsCodecTest, DecodeRejectsShortData) {
  v1::Points wire;
  wire.set_rows(3);
  wire.set_cols(2);
  wire.set_data(std::string(23, '\0'));
  const absl::Status status = DecodePoints(wire).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("needs 24 bytes, got 23"), std::string::npos)
      << status;
}

TEST(PointsCodecTest, DecodeRejectsLongData) {
  v1::Points wire;
  wire.set_rows(1);
  wire.set_cols(2);
  wire.set_data(std::string(9, '\0'));
  EXPECT_EQ(DecodePoints(wire).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PointsCodecTest, DecodeRejectsNegativeAndOverflowingShapes) {
  v1::Points wire;
  wire.set_rows(-2);
  wire.set_cols(2);
  EXPECT_EQ(DecodePoints(wire).status().code(),
            absl::StatusCode::kInvalidArgument);
  wire.set_rows(std::numeric_limits<int64_t>::max() / 2);
  wire.set_cols(4);
  const absl::Status status = DecodePoints(wire).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("overflows"), std::string::npos) << status;
}

TEST(PointMatrixTest, FromArray2DRejectsNonFiniteAndOutOfRange) {
  Array2D a;
  a.rows = 2;
  a.cols = 2;
  a.values = {0, 1, 2, 1e39};
  const absl::Status status = FromArray2D(a).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("row 2, column 2"), std::string::npos)
      << status;
  a.values[3] = std::nan("");
  EXPECT_FALSE(FromArray2D(a).ok());
}

TEST(PointMatrixTest, ArrayConversionsRoundTrip) {
  const PointMatrix m = Matrix(3, 2);
  absl::StatusOr<PointMatrix> back = FromArray2D(ToArray2D(m));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->rows, 3);
  EXPECT_EQ(back->cols, 2);
  EXPECT_EQ(back->values, m.values);
}

}  // namespace
}  // namespace jkoflow
