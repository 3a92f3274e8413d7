#include "client/sample_assembler.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/points_codec.h"
#include "gtest/gtest.h"

namespace jkoflow {
namespace {

// Rows [offset, offset + rows) of the reference sample: point r is
// (r, 10 r + stage).
PointMatrix Rows(int64_t offset, int64_t rows, int stage = 0) {
  PointMatrix m;
  m.rows = rows;
  m.cols = 2;
  for (int64_t r = offset; r < offset + rows; ++r) {
    m.values.push_back(static_cast<float>(r));
    m.values.push_back(static_cast<float>(10 * r + stage));
  }
  return m;
}

v1::SampleChunk Chunk(int64_t offset, int64_t rows, int stages = 0) {
  v1::SampleChunk chunk;
  chunk.set_offset(offset);
  EXPECT_TRUE(EncodePoints(Rows(offset, rows), chunk.mutable_points()).ok());
  for (int s = 0; s < stages; ++s) {
    EXPECT_TRUE(EncodePoints(Rows(offset, rows, s), chunk.add_stages()).ok());
  }
  return chunk;
}

TEST(SampleAssemblerTest, AssemblesOutOfOrderChunksByOffset) {
  SampleAssembler assembler(/*n=*/10, /*trajectory=*/false);
  ASSERT_TRUE(assembler.Add(Chunk(6, 4)).ok());
  ASSERT_TRUE(assembler.Add(Chunk(0, 3)).ok());
  ASSERT_TRUE(assembler.Add(Chunk(3, 3)).ok());
  absl::StatusOr<SampleResult> result = assembler.Finish();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->points.rows, 10);
  EXPECT_EQ(result->points.cols, 2);
  EXPECT_EQ(result->points.values, Rows(0, 10).values);
  EXPECT_TRUE(result->stages.empty());
}

TEST(SampleAssemblerTest, KeepsTrajectoryStages) {
  SampleAssembler assembler(/*n=*/5, /*trajectory=*/true);
  ASSERT_TRUE(assembler.Add(Chunk(0, 2, /*stages=*/3)).ok());
  ASSERT_TRUE(assembler.Add(Chunk(2, 3, /*stages=*/3)).ok());
  absl::StatusOr<SampleResult> result = assembler.Finish();
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->stages.size(), 3u);
  for (int s = 0; s < 3; ++s) {
    EXPECT_EQ(result->stages[s].values, Rows(0, 5, s).values) << s;
  }
}

TEST(SampleAssemblerTest, MissingPointsAreDataLoss) {
  SampleAssembler assembler(/*n=*/10, /*trajectory=*/false);
  ASSERT_TRUE(assembler.Add(Chunk(0, 4)).ok());
  ASSERT_TRUE(assembler.Add(Chunk(6, 4)).ok());
  const absl::Status status = assembler.Finish().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("8 of 10 points"), std::string::npos)
      << status;
}

TEST(SampleAssemblerTest, EmptyStreamIsDataLoss) {
  SampleAssembler assembler(/*n=*/3, /*trajectory=*/false);
  EXPECT_EQ(assembler.Finish().status().code(), absl::StatusCode::kDataLoss);
}

TEST(SampleAssemblerTest, OverlappingChunksAreDataLoss) {
  SampleAssembler assembler(/*n=*/6, /*trajectory=*/false);
  ASSERT_TRUE(assembler.Add(Chunk(0, 4)).ok());
  ASSERT_TRUE(assembler.Add(Chunk(2, 4)).ok());
  const absl::Status status = assembler.Finish().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("overlap"), std::string::npos) << status;
}

TEST(SampleAssemblerTest, ChunkOutsideTheSampleIsDataLoss) {
  SampleAssembler assembler(/*n=*/4, /*trajectory=*/false);
  EXPECT_EQ(assembler.Add(Chunk(2, 3)).code(), absl::StatusCode::kDataLoss);
  v1::SampleChunk negative = Chunk(0, 1);
  negative.set_offset(-1);
  EXPECT_EQ(assembler.Add(negative).code(), absl::StatusCode::kDataLoss);
}

TEST(SampleAssemblerTest, DimensionChangeIsDataLoss) {
  SampleAssembler assembler(/*n=*/4, /*trajectory=*/false);
  ASSERT_TRUE(assembler.Add(Chunk(0, 2)).ok());
  v1::SampleChunk chunk;
  chunk.set_offset(2);
  PointMatrix three;
  three.rows = 2;
  three.cols = 3;
  three.values.assign(6, 1.0f);
  ASSERT_TRUE(EncodePoints(three, chunk.mutable_points()).ok());
  const absl::Status status = assembler.Add(chunk);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("offset 2"), std::string::npos) << status;
}

TEST(SampleAssemblerTest, TruncatedChunkDataIsDataLoss) {
  SampleAssembler assembler(/*n=*/2, /*trajectory=*/false);
  v1::SampleChunk chunk = Chunk(0, 2);
  chunk.mutable_points()->mutable_data()->pop_back();
  EXPECT_EQ(assembler.Add(chunk).code(), absl::StatusCode::kDataLoss);
}

TEST(SampleAssemblerTest, StageCountChangeIsDataLoss) {
  SampleAssembler assembler(/*n=*/4, /*trajectory=*/true);
  ASSERT_TRUE(assembler.Add(Chunk(0, 2, /*stages=*/3)).ok());
  EXPECT_EQ(assembler.Add(Chunk(2, 2, /*stages=*/2)).code(),
            absl::StatusCode::kDataLoss);
}

TEST(SampleAssemblerTest, TrajectoryWithoutStagesIsDataLoss) {
  SampleAssembler assembler(/*n=*/2, /*trajectory=*/true);
  ASSERT_TRUE(assembler.Add(Chunk(0, 2)).ok());
  EXPECT_EQ(assembler.Finish().status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace jkoflow
