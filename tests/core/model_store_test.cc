#include "core/model_store.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "base/atomic_file.h"

namespace jkoflow {
namespace {

namespace fs = std::filesystem;

FlowModel TwoBlockModel() {
  FlowModel model(2);
  for (int k = 0; k < 2; ++k) {
    JkoBlockConfig config;
    config.h = 0.25 * (k + 1);
    config.field = VelocityFieldOptions(2).width(24).depth(2);
    auto block = JkoBlock::Create(config, 40 + k);
    EXPECT_TRUE(block.ok());
    BlockStats stats;
    stats.loss = 1.5 + k;
    stats.inversion_error = 1e-9;
    EXPECT_TRUE(model.AppendBlock(*block, stats).ok());
  }
  Provenance provenance;
  provenance.dataset = "8gaussians";
  provenance.seed = 17;
  provenance.hyperparameters = {{"batch_size", "2000"}};
  model.set_provenance(provenance);
  return model;
}

class ModelStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) /
            ("model_store_test_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    dir_ = (root_ / "model" / "v1").string();
    ASSERT_TRUE(SaveModel(TwoBlockModel(), dir_).ok());
  }
  void TearDown() override { fs::remove_all(root_); }

  void Rewrite(const std::string& file, const std::string& bytes) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << bytes;
  }

  fs::path root_;
  std::string dir_;
};

TEST_F(ModelStoreTest, SaveLoadGivesIdenticalSamplesAndLogProbs) {
  FlowModel original = TwoBlockModel();
  auto loaded = LoadModel(dir_, torch::Device("cpu"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->num_blocks(), 2);
  EXPECT_DOUBLE_EQ(loaded->block(1).config().h, 0.5);
  EXPECT_EQ(loaded->block(1).config().field.width(), 24);
  EXPECT_DOUBLE_EQ(loaded->stats(1).loss, 2.5);
  EXPECT_EQ(loaded->provenance().dataset, "8gaussians");
  EXPECT_EQ(loaded->provenance().seed, 17u);
  auto a = original.Sample(300, 5), b = loaded->Sample(300, 5);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(torch::equal(*a, *b));
  auto la = original.LogProb(*a), lb = loaded->LogProb(*a);
  ASSERT_TRUE(la.ok() && lb.ok());
  EXPECT_LE((*la - *lb).abs().max().item<double>(), 1e-6);
  // No temporary or backup directories are left next to the model.
  int entries = 0;
  for (const auto& e : fs::directory_iterator(root_ / "model")) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST_F(ModelStoreTest, SavingAgainReplacesTheDirectory) {
  FlowModel one(2);
  ASSERT_TRUE(SaveModel(one, dir_).ok());
  auto loaded = LoadModel(dir_, torch::Device("cpu"));
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->num_blocks(), 0);
  EXPECT_FALSE(fs::exists(fs::path(dir_) / "block_001.weights"));
}

TEST_F(ModelStoreTest, FlippedByteIsRefusedNamingTheFile) {
  const std::string file = (fs::path(dir_) / "block_002.weights").string();
  auto bytes = ReadFileToString(file);
  ASSERT_TRUE(bytes.ok());
  (*bytes)[bytes->size() / 2] ^= 0x01;
  Rewrite(file, *bytes);
  auto loaded = LoadModel(dir_, torch::Device("cpu"));
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(loaded.status().message().find("block_002.weights"),
            std::string::npos)
      << loaded.status();
}

TEST_F(ModelStoreTest, TruncatedWeightsAreRefusedNamingTheFile) {
  const std::string file = (fs::path(dir_) / "block_001.weights").string();
  auto bytes = ReadFileToString(file);
  ASSERT_TRUE(bytes.ok());
  Rewrite(file, bytes->substr(0, bytes->size() - 7));
  auto loaded = LoadModel(dir_, torch::Device("cpu"));
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(loaded.status().message().find("block_001.weights"),
            std::string::npos);
}

TEST_F(ModelStoreTest, WrongFormatVersionIsRefusedNamingTheManifest) {
  const std::string file = (fs::path(dir_) / "manifest.json").string();
  auto text = ReadFileToString(file);
  ASSERT_TRUE(text.ok());
  const std::string key = "\"format_version\": 1";
  const size_t at = text->find(key);
  ASSERT_NE(at, std::string::npos);
  text->replace(at, key.size(), "\"format_version\": 99");
  Rewrite(file, *text);
  auto loaded = LoadModel(dir_, torch::Device("cpu"));
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(loaded.status().message().find("manifest.json"), std::string::npos);
}

TEST_F(ModelStoreTest, MissingBlockAndTruncatedManifestAreRefused) {
  fs::remove(fs::path(dir_) / "block_002.weights");
  auto loaded = LoadModel(dir_, torch::Device("cpu"));
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(loaded.status().message().find("block_002.weights"),
            std::string::npos);

  const std::string manifest = (fs::path(dir_) / "manifest.json").string();
  auto text = ReadFileToString(manifest);
  ASSERT_TRUE(text.ok());
  Rewrite(manifest, text->substr(0, text->size() / 2));
  loaded = LoadModel(dir_, torch::Device("cpu"));
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(loaded.status().message().find("manifest.json"), std::string::npos);

  EXPECT_EQ(LoadModel((root_ / "absent").string(), torch::Device("cpu"))
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ModelStoreTest, NonFiniteStatisticsSaveAndLoad) {
  FlowModel model = TwoBlockModel();
  FlowModel odd(2);
  for (int64_t i = 0; i < model.num_blocks(); ++i) {
    BlockStats stats = model.stats(i);
    stats.loss = std::numeric_limits<double>::quiet_NaN();
    stats.movement = std::numeric_limits<double>::infinity();
    stats.potential = -std::numeric_limits<double>::infinity();
    ASSERT_TRUE(odd.AppendBlock(model.block(i), stats).ok());
  }
  ASSERT_TRUE(SaveModel(odd, dir_).ok());
  auto loaded = LoadModel(dir_, torch::Device("cpu"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(std::isnan(loaded->stats(1).loss));
  EXPECT_EQ(loaded->stats(1).movement, std::numeric_limits<double>::infinity());
  EXPECT_EQ(loaded->stats(1).potential,
            -std::numeric_limits<double>::infinity());
  EXPECT_DOUBLE_EQ(loaded->stats(1).inversion_error, 1e-9);
}

TEST_F(ModelStoreTest, NullStatisticOfAnOlderManifestReadsAsNaN) {
  const std::string file = (fs::path(dir_) / "manifest.json").string();
  auto text = ReadFileToString(file);
  ASSERT_TRUE(text.ok());
  const size_t at = text->find("\"loss\": ");
  ASSERT_NE(at, std::string::npos);
  const size_t end = text->find_first_of(",\n}", at + 8);
  text->replace(at, end - at, "\"loss\": null");
  Rewrite(file, *text);
  auto loaded = LoadModel(dir_, torch::Device("cpu"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(std::isnan(loaded->stats(0).loss));
}

TEST_F(ModelStoreTest, WeightsFileOutsideTheDirectoryIsRefused) {
  const std::string file = (fs::path(dir_) / "manifest.json").string();
  auto original = ReadFileToString(file);
  ASSERT_TRUE(original.ok());
  for (const std::string bad : {"../v1/block_001.weights", "/etc/passwd",
                                "sub/block_001.weights", "..", ""}) {
    std::string text = *original;
    const std::string key = "\"block_001.weights\"";
    const size_t at = text.find(key);
    ASSERT_NE(at, std::string::npos);
    text.replace(at, key.size(), "\"" + bad + "\"");
    Rewrite(file, text);
    auto loaded = LoadModel(dir_, torch::Device("cpu"));
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss) << bad;
    EXPECT_NE(loaded.status().message().find("plain file name"),
              std::string::npos)
        << loaded.status();
  }
}

// A number that is not an integer, or one too large for its field, was cast
// silently (undefined behaviour beyond int64; found by fuzz/manifest).
TEST_F(ModelStoreTest, NonIntegerSizesAreRefused) {
  const std::string file = (fs::path(dir_) / "manifest.json").string();
  auto original = ReadFileToString(file);
  ASSERT_TRUE(original.ok());
  for (const std::string bad : {"\"dim\": 2.5", "\"dim\": 1e300",
                                "\"width\": 24.0", "\"depth\": -1e30"}) {
    const std::string key = bad.substr(0, bad.find(':') + 1);
    std::string text = *original;
    const size_t at = text.find(key);
    ASSERT_NE(at, std::string::npos) << key;
    const size_t end = text.find_first_of(",\n", at);
    text.replace(at, end - at, bad);
    Rewrite(file, text);
    auto loaded = LoadModel(dir_, torch::Device("cpu"));
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss) << bad;
    EXPECT_NE(loaded.status().message().find("expected an integer"),
              std::string::npos)
        << loaded.status();
  }
}

TEST_F(ModelStoreTest, ReplacingKeepsNoTemporaryDirectories) {
  ASSERT_TRUE(SaveModel(TwoBlockModel(), dir_).ok());
  ASSERT_TRUE(SaveModel(FlowModel(2), dir_).ok());
  int entries = 0;
  for (const auto& e : fs::directory_iterator(root_ / "model")) {
    EXPECT_EQ(e.path().filename().string(), "v1");
    ++entries;
  }
  EXPECT_EQ(entries, 1);
  auto loaded = LoadModel(dir_, torch::Device("cpu"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->num_blocks(), 0);
}

// A model with a fitted transform and an image shape saves and loads with
// identical likelihoods: the default steps for integer data (dequantise,
// marginal, whiten) and the logit chain (dequantise, scale, logit,
// standardise, whiten).
TEST_F(ModelStoreTest, TransformSavesAndLoads) {
  at::Generator g = at::detail::createCPUGenerator(3);
  torch::Tensor pixels =
      (8 + 4 * at::randn({300, 2}, g, torch::kFloat64)).round().clamp(0, 16);
  for (const char* steps :
       {"auto", "dequantize,scale,logit,standardize,whiten"}) {
    SCOPED_TRACE(steps);
    auto spec = ParseTransformSpec(steps);
    ASSERT_TRUE(spec.ok());
    spec->item_shape = {1, 2};
    auto transform = FitTransform(*spec, pixels, 1, nullptr);
    ASSERT_TRUE(transform.ok()) << transform.status();
    FlowModel model = TwoBlockModel();
    ASSERT_TRUE(model.set_transform(*transform).ok());
    const std::string dir = (root_ / "transformed" / "v1").string();
    ASSERT_TRUE(SaveModel(model, dir).ok());
    auto loaded = LoadModel(dir, torch::kCPU);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_EQ(loaded->transform().Describe(), model.transform().Describe());
    EXPECT_EQ(loaded->transform().item_shape(), (std::vector<int64_t>{1, 2}));
    auto a = model.LogProb(pixels.narrow(0, 0, 20).to(torch::kFloat32));
    auto b = loaded->LogProb(pixels.narrow(0, 0, 20).to(torch::kFloat32));
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_TRUE(torch::equal(*a, *b));
    auto text = ReadFileToString((fs::path(dir) / "manifest.json").string());
    ASSERT_TRUE(text.ok());
    EXPECT_NE(text->find("\"format_version\": 2"), std::string::npos);

    // An altered transform file is refused, naming it.
    const std::string arrays = (fs::path(dir) / "transform.bin").string();
    auto bytes = ReadFileToString(arrays);
    ASSERT_TRUE(bytes.ok());
    std::string altered = *bytes;
    altered[3] ^= 1;
    Rewrite(arrays, altered);
    auto refused = LoadModel(dir, torch::kCPU);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_NE(refused.status().message().find("transform.bin"),
              std::string::npos);
  }
}

TEST_F(ModelStoreTest, ProjectedModelSavesAndLoads) {
  at::Generator g = at::detail::createCPUGenerator(5);
  torch::Tensor pixels =
      (8 + 4 * at::randn({300, 3}, g, torch::kFloat64)).round().clamp(0, 16);
  auto transform =
      FitTransform(*ParseTransformSpec("dequantize,marginal,whiten,project=2"),
                   pixels, 1, nullptr);
  ASSERT_TRUE(transform.ok()) << transform.status();
  FlowModel model(3);
  ASSERT_TRUE(model.set_transform(*transform).ok());
  JkoBlockConfig config;
  config.field = VelocityFieldOptions(2).width(24).depth(2);
  auto block = JkoBlock::Create(config, 9);
  ASSERT_TRUE(block.ok());
  ASSERT_TRUE(model.AppendBlock(*block, BlockStats()).ok());
  const std::string dir = (root_ / "projected" / "v1").string();
  ASSERT_TRUE(SaveModel(model, dir).ok());
  auto loaded = LoadModel(dir, torch::kCPU);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->FlowDim(), 2);
  EXPECT_EQ(loaded->transform().Describe(), model.transform().Describe());
  const torch::Tensor x = pixels.narrow(0, 0, 20).to(torch::kFloat32);
  auto a = model.LogProb(x);
  auto b = loaded->LogProb(x);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(torch::equal(*a, *b));
}

TEST(BlockParameterCountTest, MatchesTheModuleItDescribes) {
  for (const bool time_input : {false, true}) {
    const VelocityFieldOptions options =
        VelocityFieldOptions(3).width(7).depth(3).time_input(time_input);
    VelocityField field(options);
    int64_t numel = 0;
    for (const torch::Tensor& p : field->parameters()) numel += p.numel();
    EXPECT_EQ(BlockParameterCount(options), numel) << time_input;
  }
  EXPECT_EQ(BlockParameterCount(VelocityFieldOptions(int64_t{1} << 40)
                                    .width(int64_t{1} << 40)
                                    .depth(32)),
            std::numeric_limits<int64_t>::max());
}

TEST_F(ModelStoreTest, BlocksOverTheParameterLimitAreRefusedAtLoad) {
  // TwoBlockModel's blocks: 2 -> 24 -> 24 -> 2, 722 parameters each.
  const int64_t params =
      BlockParameterCount(VelocityFieldOptions(2).width(24).depth(2));
  EXPECT_EQ(params, 3 * 24 + 25 * 24 + 25 * 2);
  EXPECT_TRUE(LoadModel(dir_, torch::Device("cpu"), params).ok());
  auto loaded = LoadModel(dir_, torch::Device("cpu"), params - 1);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(loaded.status().message().find("722 parameters"), std::string::npos)
      << loaded.status();
}

}  // namespace
}  // namespace jkoflow
