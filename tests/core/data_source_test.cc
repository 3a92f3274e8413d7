#include "core/data_source.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "base/array_file.h"
#include "core/datasets.h"

namespace jkoflow {
namespace {

namespace fs = std::filesystem;

TEST(DataSourceTest, GeneratesBuiltinSetsAndMixturesReproducibly) {
  EXPECT_TRUE(IsBuiltinDataset("8gaussians"));
  EXPECT_FALSE(IsBuiltinDataset("gmm:2:3:1"));
  auto a = GeneratePoints("8gaussians", 500, 3);
  auto b = GeneratePoints("8gaussians", 500, 3);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->sizes().vec(), (std::vector<int64_t>{500, 2}));
  EXPECT_EQ(a->scalar_type(), torch::kFloat32);
  EXPECT_TRUE(torch::equal(*a, *b));
  // A mixture spec draws the mixture's own samples.
  auto mixture = GeneratePoints("gmm:5:3:1", 400, 9);
  ASSERT_TRUE(mixture.ok()) << mixture.status();
  auto gmm = ParseGaussianMixtureSpec("gmm:5:3:1");
  ASSERT_TRUE(gmm.ok());
  auto direct = gmm->Sample(400, 9);
  ASSERT_TRUE(direct.ok());
  EXPECT_TRUE(torch::equal(*mixture, *direct));
  auto unknown = GeneratePoints("sharks", 10, 1);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("8gaussians"), std::string::npos);
}

TEST(DataSourceTest, ReadsFilesAsFloat32WithinALimit) {
  const fs::path dir = fs::temp_directory_path() /
                       ("jkoflow_data_source_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  Array2D array;
  array.rows = 3;
  array.cols = 2;
  array.values = {1, 2, 3.5, -4, 5, 6};
  for (const char* name : {"points.csv", "points.npy"}) {
    SCOPED_TRACE(name);
    const std::string path = (dir / name).string();
    ASSERT_TRUE(WriteArrayFile(path, array).ok());
    std::vector<int64_t> shape = {7};
    auto x = ReadPointsFile(path, &shape);
    ASSERT_TRUE(x.ok()) << x.status();
    EXPECT_EQ(x->scalar_type(), torch::kFloat32);
    EXPECT_TRUE(torch::equal(
        *x, torch::tensor({{1.0f, 2.0f}, {3.5f, -4.0f}, {5.0f, 6.0f}})));
    EXPECT_TRUE(shape.empty());  // a flat file records no item shape
    // Six values against a limit of five: refused, naming the file.
    auto over = ReadPointsFile(path, nullptr, /*max_values=*/5);
    ASSERT_FALSE(over.ok());
    EXPECT_EQ(over.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(over.status().message().find(name), std::string::npos);
    EXPECT_TRUE(ReadPointsFile(path, nullptr, /*max_values=*/6).ok());
  }
  EXPECT_FALSE(ReadPointsFile((dir / "missing.csv").string()).ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace jkoflow
