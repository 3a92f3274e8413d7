#include "base/idx_file.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "base/array_file.h"

namespace jkoflow {
namespace {

namespace fs = std::filesystem;

// Idx() is an IDX file of unsigned bytes with `extents`.
std::string Idx(const std::vector<uint32_t>& extents,
                const std::vector<unsigned char>& values) {
  std::string bytes = {0, 0, 0x08, static_cast<char>(extents.size())};
  for (uint32_t e : extents) {
    for (int shift : {24, 16, 8, 0}) {
      bytes.push_back(static_cast<char>((e >> shift) & 0xff));
    }
  }
  bytes.append(values.begin(), values.end());
  return bytes;
}

class IdxFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& bytes,
                    bool gzip) {
    const std::string path = (fs::path(::testing::TempDir()) / name).string();
    if (gzip) {
      gzFile file = gzopen(path.c_str(), "wb");
      gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
      gzclose(file);
    } else {
      std::ofstream(path, std::ios::binary) << bytes;
    }
    return path;
  }
};

TEST_F(IdxFileTest, ReadsImagesWithTheirShapeGzippedOrNot) {
  std::vector<unsigned char> values;
  for (int i = 0; i < 2 * 2 * 3; ++i)
    values.push_back(static_cast<unsigned char>(i * 20));
  const std::string bytes = Idx({2, 2, 3}, values);
  for (bool gzip : {false, true}) {
    const std::string path =
        Write(gzip ? "images-idx3-ubyte.gz" : "images-idx3-ubyte", bytes, gzip);
    EXPECT_TRUE(IsIdxPath(path));
    auto array = ReadArrayFile(path);
    ASSERT_TRUE(array.ok()) << array.status();
    EXPECT_EQ(array->rows, 2);
    EXPECT_EQ(array->cols, 6);
    EXPECT_EQ(array->item_shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(array->values[7], 140);
    EXPECT_EQ(array->values[11], 220);
  }
}

TEST_F(IdxFileTest, LabelsAreOneColumn) {
  auto array = ReadIdx(Write("labels.idx", Idx({3}, {1, 2, 9}), false));
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_EQ(array->rows, 3);
  EXPECT_EQ(array->cols, 1);
  EXPECT_TRUE(array->item_shape.empty());
}

TEST_F(IdxFileTest, BadFilesAreRefusedNamingThePath) {
  const std::string truncated =
      Write("short-ubyte", Idx({2, 2}, {1, 2, 3}), false);
  auto a = ReadIdx(truncated);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(a.status().message().find(truncated), std::string::npos);
  EXPECT_NE(a.status().message().find("truncated"), std::string::npos);
  EXPECT_FALSE(
      ReadIdx(Write("long-ubyte", Idx({1, 2}, {1, 2, 3}), false)).ok());
  EXPECT_FALSE(ReadIdx(Write("magic-ubyte", "\x01\x00\x08\x01", false)).ok());
  EXPECT_FALSE(
      ReadIdx(Write("type-ubyte", Idx({1}, {1}).replace(2, 1, "\x07"), false))
          .ok());
  // A cut gzip stream.
  const std::string gz = Write(
      "cut-ubyte.gz", Idx({4, 4}, std::vector<unsigned char>(16, 7)), true);
  std::string bytes;
  {
    std::ifstream in(gz, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::ofstream(gz, std::ios::binary | std::ios::trunc)
      << bytes.substr(0, bytes.size() / 2);
  EXPECT_FALSE(ReadIdx(gz).ok());
  EXPECT_EQ(ReadIdx("/nonexistent/x-ubyte").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace jkoflow
