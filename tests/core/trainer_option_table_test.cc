#include "core/trainer_option_table.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "absl/strings/match.h"

namespace jkoflow {
namespace {

TEST(TrainerOptionTableTest, DefaultsAreInRangeAndNamesUnique) {
  const TrainerOptions defaults;
  std::set<std::string> names;
  for (const TrainerOptionSpec& spec : TrainerOptionTable()) {
    EXPECT_TRUE(names.insert(spec.name).second) << spec.name;
    EXPECT_TRUE(spec.range.contains(spec.get(defaults))) << spec.name;
    EXPECT_EQ(FindTrainerOption(spec.name), &spec);
  }
  EXPECT_EQ(FindTrainerOption("no_such_option"), nullptr);
}

TEST(TrainerOptionTableTest, StringFormRoundTrips) {
  TrainerOptions changed;
  changed.iterations_per_block = 1234;
  changed.learning_rate = 0.0123;
  changed.step_size.adaptive = true;
  changed.field.softplus_beta(7.25);
  changed.diagnostic_points = 0;
  for (const TrainerOptionSpec& spec : TrainerOptionTable()) {
    TrainerOptions read;
    ASSERT_TRUE(
        ParseTrainerOption(spec, FormatTrainerOption(spec, changed), read).ok())
        << spec.name;
    EXPECT_EQ(spec.get(read), spec.get(changed)) << spec.name;
  }
  const TrainerOptionSpec& iterations =
      *FindTrainerOption("iterations_per_block");
  EXPECT_EQ(FormatTrainerOption(iterations, changed), "1234");
  EXPECT_EQ(FormatTrainerOption(*FindTrainerOption("adaptive_step"), changed),
            "true");
  TrainerOptions read;
  EXPECT_FALSE(ParseTrainerOption(iterations, "1.5x", read).ok());
  EXPECT_FALSE(
      ParseTrainerOption(*FindTrainerOption("warm_start"), "yes", read).ok());
}

TEST(TrainerOptionTableTest, ValidationAndProvenanceUseTheTable) {
  const TrainerOptionSpec& blocks = *FindTrainerOption("max_blocks");
  const absl::Status status = CheckTrainerOption(blocks, "blocks", 0);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "blocks: must be in [1, 1000], got 0");
  // Every table range is what ValidateTrainerOptions enforces.
  for (const TrainerOptionSpec& spec : TrainerOptionTable()) {
    if (*spec.range.text == '\0') continue;  // booleans
    TrainerOptions bad;
    spec.set(bad, -1e300);
    const absl::Status invalid = ValidateTrainerOptions(bad, 1000000);
    EXPECT_FALSE(invalid.ok()) << spec.name;
    EXPECT_TRUE(absl::StartsWith(invalid.message(), spec.name))
        << spec.name << ": " << invalid.message();
  }
  // The provenance of a new model names every option of the table.
  auto trainer =
      ProgressiveTrainer::Create(TrainerOptions(), at::zeros({1000, 2}));
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  const FlowModel model = (*trainer)->NewModel("zeros");
  std::set<std::string> keys;
  for (const auto& [key, value] : model.provenance().hyperparameters) {
    keys.insert(key);
  }
  for (const TrainerOptionSpec& spec : TrainerOptionTable()) {
    EXPECT_TRUE(keys.count(spec.name)) << spec.name;
  }
}

}  // namespace
}  // namespace jkoflow
