#include "server/serving/model_registry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/match.h"
#include "core/model_store.h"
#include "tests/server/test_util.h"

namespace jkoflow {
namespace {

namespace fs = std::filesystem;
using testing_util::ScratchDir;
using testing_util::TinyModel;

class ModelRegistryTest : public ::testing::Test {
 protected:
  ModelRegistryTest() : dir_("registry") {}

  std::unique_ptr<ModelRegistry> NewRegistry() {
    ModelRegistry::Options options;
    options.model_dir = dir_.path();
    options.inversion_points = 100;
    absl::StatusOr<std::unique_ptr<ModelRegistry>> r =
        ModelRegistry::Create(options);
    EXPECT_TRUE(r.ok()) << r.status();
    return *std::move(r);
  }

  void Write(const std::string& name, int64_t version, int blocks) {
    ASSERT_TRUE(
        SaveModel(TinyModel(2, blocks, version),
                  (fs::path(dir_.path()) / name / absl::StrCat("v", version))
                      .string())
            .ok());
  }

  ScratchDir dir_;
};

TEST_F(ModelRegistryTest, LoadsEveryVersionAndReportsTheCorruptOne) {
  Write("alpha", 1, 1);
  Write("alpha", 2, 2);
  Write("beta", 1, 1);
  // Corrupt beta v1: truncate its weights file.
  const fs::path weights = fs::path(dir_.path()) / "beta/v1/block_001.weights";
  ASSERT_TRUE(fs::exists(weights));
  fs::resize_file(weights, fs::file_size(weights) / 2);
  // Noise that is not a model at all is ignored.
  fs::create_directories(fs::path(dir_.path()) / "alpha" / ".v3.tmp-x");
  fs::create_directories(fs::path(dir_.path()) / "bad name!");

  std::unique_ptr<ModelRegistry> registry = NewRegistry();
  ASSERT_TRUE(registry->LoadAll().ok());
  const std::vector<ModelVersion> all = registry->List();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].name, "alpha");
  EXPECT_EQ(all[0].version, 1);
  EXPECT_EQ(all[1].version, 2);
  EXPECT_EQ(all[0].state, ModelVersionState::kLoaded);
  EXPECT_EQ(all[1].state, ModelVersionState::kLoaded);
  EXPECT_TRUE(std::isfinite(all[1].inversion_error));
  EXPECT_LT(all[1].inversion_error, 1e-2);
  EXPECT_EQ(all[2].name, "beta");
  EXPECT_EQ(all[2].state, ModelVersionState::kFailed);
  EXPECT_FALSE(all[2].error.empty());
  EXPECT_EQ(all[2].model, nullptr);
}

TEST_F(ModelRegistryTest, ResolvesTheNewestLoadedVersion) {
  Write("alpha", 1, 1);
  Write("alpha", 2, 2);
  std::unique_ptr<ModelRegistry> registry = NewRegistry();
  ASSERT_TRUE(registry->LoadAll().ok());

  absl::StatusOr<ModelVersion> newest = registry->Resolve("alpha", 0);
  ASSERT_TRUE(newest.ok()) << newest.status();
  EXPECT_EQ(newest->version, 2);
  EXPECT_EQ(newest->model->num_blocks(), 2);
  absl::StatusOr<ModelVersion> first = registry->Resolve("alpha", 1);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->model->num_blocks(), 1);

  // Unloading v2 makes v1 the newest loaded; a held snapshot stays usable.
  ASSERT_TRUE(registry->Unload("alpha", 2).ok());
  EXPECT_EQ(registry->Resolve("alpha", 0)->version, 1);
  EXPECT_EQ(newest->model->num_blocks(), 2);
  EXPECT_EQ(registry->Resolve("alpha", 2).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(registry->Get("alpha", 2)->state, ModelVersionState::kUnloaded);

  // And loading it again brings it back.
  ASSERT_TRUE(registry->Load("alpha", 2).ok());
  EXPECT_EQ(registry->Resolve("alpha", 0)->version, 2);
}

TEST_F(ModelRegistryTest, UnknownIsNotFoundAndCorruptIsNotReady) {
  Write("alpha", 1, 1);
  Write("gamma", 1, 1);
  fs::resize_file(fs::path(dir_.path()) / "gamma/v1/manifest.json", 10);
  std::unique_ptr<ModelRegistry> registry = NewRegistry();
  ASSERT_TRUE(registry->LoadAll().ok());
  EXPECT_EQ(registry->Resolve("nope", 0).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(registry->Resolve("alpha", 7).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(registry->Load("alpha", 7).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(registry->Unload("nope", 0).code(), absl::StatusCode::kNotFound);
  const absl::Status gamma = registry->Resolve("gamma", 0).status();
  EXPECT_EQ(gamma.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(gamma.message(), "manifest")) << gamma;
  EXPECT_EQ(registry->Load("gamma", 1).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(registry->Load("../etc", 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ModelRegistryTest, PublishWritesTheNextVersionAndLoadsIt) {
  std::unique_ptr<ModelRegistry> registry = NewRegistry();
  ASSERT_TRUE(registry->LoadAll().ok());
  EXPECT_EQ(*registry->NextVersion("fresh"), 1);
  ASSERT_TRUE(registry->Publish("fresh", 1, TinyModel(2, 1, 5)).ok());
  EXPECT_EQ(*registry->NextVersion("fresh"), 2);
  EXPECT_TRUE(fs::exists(registry->VersionDir("fresh", 1) + "/manifest.json"));
  absl::StatusOr<ModelVersion> loaded = registry->Resolve("fresh", 0);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->version, 1);
  // A second registry on the same store sees it.
  std::unique_ptr<ModelRegistry> other = NewRegistry();
  ASSERT_TRUE(other->LoadAll().ok());
  EXPECT_TRUE(other->Resolve("fresh", 1).ok());
}

TEST_F(ModelRegistryTest, PublishRemovesAVersionThatDoesNotLoad) {
  std::unique_ptr<ModelRegistry> registry = NewRegistry();
  ASSERT_TRUE(registry->LoadAll().ok());
  // A publish interrupted after its write left a version that does not
  // load: Publish() loads what is on disk, and removes it.
  const fs::path dir = registry->VersionDir("broken", 1);
  fs::create_directories(dir);
  std::ofstream(dir / "manifest.json") << "{\"format\": \"jkoflow-mo";
  const absl::Status published =
      registry->Publish("broken", 1, TinyModel(2, 1, 5));
  EXPECT_FALSE(published.ok());
  EXPECT_TRUE(absl::StrContains(published.message(), "removed")) << published;
  EXPECT_FALSE(fs::exists(registry->VersionDir("broken", 1)));
  EXPECT_EQ(registry->Get("broken", 0).status().code(),
            absl::StatusCode::kNotFound);
  for (const ModelVersion& version : registry->List()) {
    EXPECT_NE(version.name, "broken");
  }
  // The name stays usable: the next publish takes version 1 again.
  EXPECT_EQ(*registry->NextVersion("broken"), 1);
}

TEST_F(ModelRegistryTest, NonFiniteStatisticsStillPublishAndLoad) {
  std::unique_ptr<ModelRegistry> registry = NewRegistry();
  ASSERT_TRUE(registry->LoadAll().ok());
  FlowModel model = TinyModel(2, 1, 5);
  model.mutable_stats(0).loss = std::nan("");
  model.mutable_stats(0).movement = INFINITY;
  ASSERT_TRUE(registry->Publish("odd", 1, model).ok());
  absl::StatusOr<ModelVersion> served = registry->Resolve("odd", 1);
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_TRUE(std::isnan(served->model->stats(0).loss));
  EXPECT_TRUE(std::isinf(served->model->stats(0).movement));
}

TEST_F(ModelRegistryTest, WeightsFileOutsideItsDirectoryFailsOnlyThatModel) {
  Write("good", 1, 1);
  Write("evil", 1, 1);
  const fs::path manifest =
      fs::path(dir_.path()) / "evil" / "v1" / "manifest.json";
  std::ifstream in(manifest);
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  in.close();
  const std::string key = "\"block_001.weights\"";
  const size_t at = text.find(key);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, key.size(), "\"../../good/v1/block_001.weights\"");
  std::ofstream(manifest, std::ios::trunc) << text;

  std::unique_ptr<ModelRegistry> registry = NewRegistry();
  ASSERT_TRUE(registry->LoadAll().ok());
  absl::StatusOr<ModelVersion> evil = registry->Get("evil", 1);
  ASSERT_TRUE(evil.ok()) << evil.status();
  EXPECT_EQ(evil->state, ModelVersionState::kFailed);
  EXPECT_TRUE(absl::StrContains(evil->error, "plain file name")) << evil->error;
  EXPECT_TRUE(registry->Resolve("good", 0).ok());
}

TEST_F(ModelRegistryTest, SyncPicksUpWhatAnotherProcessPublishedAndRemoved) {
  std::unique_ptr<ModelRegistry> replica = NewRegistry();
  ASSERT_TRUE(replica->LoadAll().ok());
  std::unique_ptr<ModelRegistry> trainer = NewRegistry();
  ASSERT_TRUE(trainer->Publish("shared", 1, TinyModel(2, 1, 5)).ok());
  ASSERT_TRUE(trainer->Publish("shared", 2, TinyModel(2, 2, 6)).ok());
  EXPECT_EQ(replica->Resolve("shared", 0).status().code(),
            absl::StatusCode::kNotFound);

  absl::StatusOr<ModelRegistry::SyncResult> sync = replica->Sync();
  ASSERT_TRUE(sync.ok()) << sync.status();
  EXPECT_EQ(sync->added, 2);
  EXPECT_EQ(sync->dropped, 0);
  absl::StatusOr<ModelVersion> newest = replica->Resolve("shared", 0);
  ASSERT_TRUE(newest.ok()) << newest.status();
  EXPECT_EQ(newest->version, 2);

  // Known versions stay as they are: an unload is not undone.
  ASSERT_TRUE(replica->Unload("shared", 1).ok());
  sync = replica->Sync();
  ASSERT_TRUE(sync.ok());
  EXPECT_EQ(sync->added, 0);
  EXPECT_EQ(replica->Resolve("shared", 1).status().code(),
            absl::StatusCode::kFailedPrecondition);

  // A version removed from the store is dropped; the name goes with its
  // last version.
  EXPECT_EQ(trainer->RemoveOldVersions("shared", 1), 1);
  sync = replica->Sync();
  ASSERT_TRUE(sync.ok());
  EXPECT_EQ(sync->dropped, 1);
  EXPECT_EQ(replica->Resolve("shared", 1).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(replica->Resolve("shared", 2).ok());
  fs::remove_all(fs::path(dir_.path()) / "shared");
  sync = replica->Sync();
  ASSERT_TRUE(sync.ok());
  EXPECT_EQ(sync->dropped, 1);
  EXPECT_TRUE(replica->List().empty());
}

TEST_F(ModelRegistryTest, RemoveOldVersionsKeepsTheNewest) {
  Write("alpha", 1, 1);
  Write("alpha", 2, 1);
  Write("alpha", 3, 1);
  Write("beta", 1, 1);
  std::unique_ptr<ModelRegistry> registry = NewRegistry();
  ASSERT_TRUE(registry->LoadAll().ok());
  absl::StatusOr<ModelVersion> held = registry->Resolve("alpha", 1);
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(registry->RemoveOldVersions("alpha", 0), 0);  // keep all
  EXPECT_EQ(registry->RemoveOldVersions("alpha", 2), 1);
  EXPECT_FALSE(fs::exists(registry->VersionDir("alpha", 1)));
  EXPECT_TRUE(fs::exists(registry->VersionDir("alpha", 2)));
  EXPECT_EQ(registry->Get("alpha", 1).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(registry->Resolve("alpha", 0)->version, 3);
  EXPECT_TRUE(registry->Resolve("beta", 1).ok());  // other names untouched
  // A request holding the removed version finishes with it.
  auto sample = held->model->Sample(10, 1);
  EXPECT_TRUE(sample.ok());
  // Nothing is left beside the versions (no ".removing" directory).
  int entries = 0;
  const fs::path alpha = fs::path(dir_.path()) / "alpha";
  for (const auto& e : fs::directory_iterator(alpha)) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 2);
  EXPECT_EQ(*registry->NextVersion("alpha"), 4);
}

TEST(ModelNameTest, AcceptsOnlySafeDirectoryNames) {
  EXPECT_TRUE(ValidateModelName("moons-v2.final_1").ok());
  for (const char* bad : {"", ".", "..", "a/b", "a b", "x\\y"}) {
    EXPECT_EQ(ValidateModelName(bad).code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_FALSE(ValidateModelName(std::string(65, 'a')).ok());
}

}  // namespace
}  // namespace jkoflow
