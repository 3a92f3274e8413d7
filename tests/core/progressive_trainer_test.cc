#include "core/progressive_trainer.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "core/model_store.h"

namespace jkoflow {
namespace {

torch::Tensor Data(uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  return 1.0 + 0.5 * at::randn({2000, 2}, gen, torch::kFloat32);
}

TrainerOptions SmallOptions() {
  TrainerOptions options;
  options.max_blocks = 2;
  options.iterations_per_block = 20;
  options.batch_size = 256;
  options.field = VelocityFieldOptions(2).width(16).depth(2);
  options.stats_points = 500;
  options.diagnostic_points = 0;  // block_diagnostics_test covers them
  options.stop_tolerance = 0;
  options.step_size.h0 = 0.25;
  options.step_size.rho = 1.4;
  options.seed = 42;
  return options;
}

void ExpectSameWeights(const FlowModel& a, const FlowModel& b) {
  ASSERT_EQ(a.num_blocks(), b.num_blocks());
  for (int64_t k = 0; k < a.num_blocks(); ++k) {
    auto pa = a.block(k).field()->parameters();
    auto pb = b.block(k).field()->parameters();
    ASSERT_EQ(pa.size(), pb.size());
    for (size_t i = 0; i < pa.size(); ++i) {
      EXPECT_TRUE(torch::equal(pa[i], pb[i]))
          << "block " << k << " param " << i;
    }
  }
}

// Hyperparameter() is the provenance's value for `key` ("" when absent).
std::string Hyperparameter(const FlowModel& model, const std::string& key) {
  for (const auto& [name, value] : model.provenance().hyperparameters) {
    if (name == key) return value;
  }
  return "";
}

FlowModel TrainFresh(const TrainerOptions& options) {
  auto trainer = ProgressiveTrainer::Create(options, Data(1));
  EXPECT_TRUE(trainer.ok()) << trainer.status();
  FlowModel model = (*trainer)->NewModel("test");
  EXPECT_TRUE((*trainer)->Train(model).ok());
  return model;
}

TEST(ProgressiveTrainerTest, SameSeedGivesTheSameModel) {
  FlowModel a = TrainFresh(SmallOptions());
  FlowModel b = TrainFresh(SmallOptions());
  ASSERT_EQ(a.num_blocks(), 2);
  ExpectSameWeights(a, b);
  TrainerOptions other = SmallOptions();
  other.seed = 43;
  FlowModel c = TrainFresh(other);
  EXPECT_FALSE(torch::equal(a.block(0).field()->parameters()[0],
                            c.block(0).field()->parameters()[0]));
}

TEST(ProgressiveTrainerTest, ResumingFromASavedModelGivesTheSameBlocks) {
  FlowModel uninterrupted = TrainFresh(SmallOptions());
  TrainerOptions options = SmallOptions();
  auto first = ProgressiveTrainer::Create(options, Data(1));
  ASSERT_TRUE(first.ok());
  FlowModel partial = (*first)->NewModel("test");
  ASSERT_TRUE((*first)->TrainNextBlock(partial).ok());
  const std::string dir =
      (std::filesystem::path(::testing::TempDir()) / "trainer_resume").string();
  ASSERT_TRUE(SaveModel(partial, dir).ok());
  auto loaded = LoadModel(dir, torch::Device("cpu"));
  ASSERT_TRUE(loaded.ok());
  auto second = ProgressiveTrainer::Create(options, Data(1));  // a new process
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE((*second)->Train(*loaded).ok());
  ExpectSameWeights(uninterrupted, *loaded);
  std::filesystem::remove_all(dir);
}

TEST(ProgressiveTrainerTest, NextBlockTakesItsOwnConfigAndWarmStartsWeights) {
  TrainerOptions first = SmallOptions();
  first.max_blocks = 1;
  FlowModel model = TrainFresh(first);
  TrainerOptions next = SmallOptions();
  next.steps = first.steps + 3;
  next.field.softplus_beta(7.5);
  // One step at a negligible rate: block 2 stays at its starting point
  // (kept whatever it does to the held-out rows: no validation gate).
  next.iterations_per_block = 1;
  next.learning_rate = 1e-9;
  next.validation_gate = false;
  auto trainer = ProgressiveTrainer::Create(next, Data(1));
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  ASSERT_TRUE((*trainer)->TrainNextBlock(model).ok());
  ASSERT_EQ(model.num_blocks(), 2);
  EXPECT_EQ(model.block(1).config().steps, next.steps);
  EXPECT_EQ(model.block(1).config().field.softplus_beta(), 7.5);
  EXPECT_EQ(model.block(0).config().steps, first.steps);
  auto p0 = model.block(0).field()->parameters();
  auto p1 = model.block(1).field()->parameters();
  ASSERT_EQ(p0.size(), p1.size());
  for (size_t i = 0; i < p0.size(); ++i) {
    EXPECT_TRUE(torch::allclose(p0[i], p1[i], 0, 1e-6)) << "param " << i;
  }
  // Another width: the shapes differ, so the block starts fresh.
  TrainerOptions wider = next;
  wider.field.width(24);
  auto trainer2 = ProgressiveTrainer::Create(wider, Data(1));
  ASSERT_TRUE(trainer2.ok()) << trainer2.status();
  ASSERT_TRUE((*trainer2)->TrainNextBlock(model).ok());
  ASSERT_EQ(model.num_blocks(), 3);
  EXPECT_EQ(model.block(2).config().field.width(), 24);
  EXPECT_EQ(model.block(2).field()->parameters()[0].size(0), 24);
  EXPECT_TRUE(model.MapToNoise(Data(2)).ok());
}

TEST(ProgressiveTrainerTest, ReportsProgressAndStatistics) {
  TrainerOptions options = SmallOptions();
  options.max_blocks = 3;
  auto trainer = ProgressiveTrainer::Create(options, Data(2));
  ASSERT_TRUE(trainer.ok());
  FlowModel model = (*trainer)->NewModel("test");
  std::vector<IterationProgress> events;
  ASSERT_TRUE(
      (*trainer)
          ->Train(model,
                  [&](const IterationProgress& p) { events.push_back(p); })
          .ok());
  ASSERT_EQ(events.size(), 60u);
  EXPECT_EQ(events.front().block, 1);
  EXPECT_EQ(events.back().block, 3);
  EXPECT_EQ(events.back().iteration, 20);
  EXPECT_NEAR(events.back().loss,
              events.back().potential + events.back().neg_divergence +
                  events.back().movement_term,
              1e-4);
  // h_k = 0.25 · 1.4^{k−1}.
  EXPECT_DOUBLE_EQ(model.block(0).config().h, 0.25);
  EXPECT_NEAR(model.block(2).config().h, 0.49, 1e-12);
  for (int64_t k = 0; k < 3; ++k) {
    EXPECT_GT(model.stats(k).movement, 0);
    EXPECT_LT(model.stats(k).inversion_error, 1e-6);
    EXPECT_EQ(model.stats(k).iterations, 20);
  }
  // The data's mean (1, 1) is carried towards 0.
  auto z = model.MapToNoise(Data(3));
  ASSERT_TRUE(z.ok());
  EXPECT_LT(z->mean().item<double>(), 0.9);
}

TEST(ProgressiveTrainerTest, CancellationStopsWithinOneIteration) {
  auto trainer = ProgressiveTrainer::Create(SmallOptions(), Data(1));
  ASSERT_TRUE(trainer.ok());
  FlowModel model = (*trainer)->NewModel("test");
  int iterations = 0;
  auto status = (*trainer)->Train(
      model, [&](const IterationProgress&) { ++iterations; },
      [&]() { return iterations >= 5; });
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(iterations, 5);
  EXPECT_EQ(model.num_blocks(), 0);
}

TEST(ProgressiveTrainerTest, StopRuleEndsTrainingEarly) {
  TrainerOptions options = SmallOptions();
  options.max_blocks = 5;
  options.stop_tolerance = 1e9;  // any block satisfies it (nats)
  FlowModel model = TrainFresh(options);
  EXPECT_EQ(model.num_blocks(), 1);
}

TEST(ProgressiveTrainerTest, RejectsBadOptionsNamingTheField) {
  struct Case {
    std::function<void(TrainerOptions&)> edit;
    std::string field;
  };
  std::vector<Case> cases = {
      {[](TrainerOptions& o) { o.batch_size = 5000; }, "batch_size"},
      {[](TrainerOptions& o) { o.iterations_per_block = 0; },
       "iterations_per_block"},
      {[](TrainerOptions& o) { o.step_size.h0 = 0; }, "h0"},
      {[](TrainerOptions& o) { o.step_size.h0 = -1; }, "h0"},
      {[](TrainerOptions& o) { o.learning_rate = 0; }, "learning_rate"},
      {[](TrainerOptions& o) { o.field.width(0); }, "width"},
  };
  for (const Case& c : cases) {
    TrainerOptions options = SmallOptions();
    c.edit(options);
    auto trainer = ProgressiveTrainer::Create(options, Data(1));
    ASSERT_EQ(trainer.status().code(), absl::StatusCode::kInvalidArgument)
        << c.field;
    EXPECT_NE(trainer.status().message().find(c.field), std::string::npos)
        << trainer.status();
  }
  torch::Tensor bad = Data(1);
  bad[3][1] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(ProgressiveTrainer::Create(SmallOptions(), bad).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ProgressiveTrainerTest, PlateauRuleStopsBlocksOnTheHeldOutLoss) {
  TrainerOptions options = SmallOptions();
  options.plateau.eval_every = 5;
  options.plateau.window = 10;
  // Nothing after the first evaluation counts as an improvement.
  options.plateau.tolerance = 100.0;
  FlowModel model = TrainFresh(options);
  ASSERT_EQ(model.num_blocks(), 2);
  for (int64_t k = 0; k < 2; ++k) {
    EXPECT_EQ(model.stats(k).iterations, 15) << k;  // best at 5, +10
  }
  // 2,000 points: min(2000, n / 10) = 200 held out, never trained on.
  EXPECT_EQ(Hyperparameter(model, "holdout_points"), "200");
  EXPECT_EQ(Hyperparameter(model, "training_points"), "1800");
  EXPECT_EQ(Hyperparameter(model, "plateau_eval_every"), "5");

  options.plateau.min_iterations = 18;  // the next evaluation after 18 is 20
  FlowModel later = TrainFresh(options);
  EXPECT_EQ(later.stats(0).iterations, 20);

  // Deterministic for a seed, like the rest of training.
  options.plateau.min_iterations = 0;
  options.plateau.tolerance = 1e-3;
  ExpectSameWeights(TrainFresh(options), TrainFresh(options));

  // A batch that leaves only 100 spare points holds out just those.
  options.batch_size = 1900;
  options.max_blocks = 1;
  FlowModel big_batch = TrainFresh(options);
  EXPECT_EQ(Hyperparameter(big_batch, "holdout_points"), "100");
  EXPECT_EQ(Hyperparameter(big_batch, "training_points"), "1900");
}

TEST(ProgressiveTrainerTest, LearningRateFollowsTheSchedule) {
  TrainerOptions options = SmallOptions();
  options.max_blocks = 1;
  options.learning_rate = 4e-3;
  options.lr_schedule.kind = LrScheduleKind::kCosine;
  options.lr_schedule.warmup_fraction = 0.1;  // 2 of 20 iterations
  options.lr_schedule.final_fraction = 0.0;
  auto trainer = ProgressiveTrainer::Create(options, Data(1));
  ASSERT_TRUE(trainer.ok());
  FlowModel model = (*trainer)->NewModel("test");
  std::vector<double> rates;
  ASSERT_TRUE((*trainer)
                  ->Train(model,
                          [&](const IterationProgress& p) {
                            rates.push_back(p.learning_rate);
                          })
                  .ok());
  ASSERT_EQ(rates.size(), 20u);
  EXPECT_DOUBLE_EQ(rates[0], 2e-3);
  EXPECT_DOUBLE_EQ(rates[1], 4e-3);
  EXPECT_NEAR(rates[19], 0.0, 1e-15);
  EXPECT_EQ(Hyperparameter(model, "lr_schedule"), "cosine");
  // A constant schedule trains a different block from the same seed.
  options.lr_schedule.kind = LrScheduleKind::kConstant;
  FlowModel constant = TrainFresh(options);
  EXPECT_FALSE(torch::equal(model.block(0).field()->parameters()[0],
                            constant.block(0).field()->parameters()[0]));
}

TEST(ProgressiveTrainerTest, SmoothingIsRecorded) {
  TrainerOptions options = SmallOptions();
  options.max_blocks = 1;
  options.smoothing_tau = 0.1;
  FlowModel model = TrainFresh(options);
  EXPECT_DOUBLE_EQ(model.smoothing_tau(), 0.1);
}

// A block that does not lower the held-out NLL is dropped by the
// validation gate, and kept without it. Here block 1 carries N(1, 0.25 I)
// to N(0, I) in one long step; block 2 is not trained to speak of: a copy
// of block 1 (which carries the points past N(0, I)) or, where that starts
// worse, the identity, which gains nothing.
TEST(ProgressiveTrainerTest, ValidationGateDropsABlockThatDoesNotHelp) {
  TrainerOptions first = SmallOptions();
  first.max_blocks = 1;
  first.iterations_per_block = 400;
  first.step_size.h0 = 5;  // a long step: block 1 reaches N(0, I)
  FlowModel trained = TrainFresh(first);
  ASSERT_EQ(trained.num_blocks(), 1);
  for (bool gate : {true, false}) {
    TrainerOptions again = SmallOptions();
    again.iterations_per_block = 1;
    again.learning_rate = 1e-9;
    again.validation_gate = gate;
    auto trainer = ProgressiveTrainer::Create(again, Data(1));
    ASSERT_TRUE(trainer.ok()) << trainer.status();
    FlowModel model = trained;
    auto stop = (*trainer)->TrainNextBlock(model);
    ASSERT_TRUE(stop.ok()) << stop.status();
    EXPECT_EQ(model.num_blocks(), gate ? 1 : 2);
    if (gate) EXPECT_TRUE(*stop);
  }
}

// The transform is fitted on the training rows and kept in the model:
// integer data trains in the dequantised, whitened space, and the model's
// likelihoods are in the data's units.
TEST(ProgressiveTrainerTest, IntegerDataTrainsWithItsTransform) {
  at::Generator gen = at::detail::createCPUGenerator(2);
  const torch::Tensor pixels =
      (6 + 3 * at::randn({1000, 3}, gen, torch::kFloat32)).round().clamp(0, 12);
  TrainerOptions options = SmallOptions();
  options.field = VelocityFieldOptions(3).width(16).depth(2);
  auto trainer = ProgressiveTrainer::Create(options, pixels);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  FlowModel model = (*trainer)->NewModel("pixels");
  EXPECT_EQ(TransformSpecName(model.transform().Steps()),
            "dequantize,marginal,whiten");
  EXPECT_EQ(Hyperparameter(model, "transform"), "auto");
  ASSERT_TRUE((*trainer)->Train(model).ok());
  auto samples = model.Sample(500, 1);
  ASSERT_TRUE(samples.ok());
  EXPECT_TRUE((*samples == samples->round()).all().item<bool>());
  // The support: the training range with the marginal step's margin of
  // one level above (non-negative data stays non-negative).
  EXPECT_GE(samples->min().item<double>(), 0);
  EXPECT_LE(samples->max().item<double>(), 13);
  auto log_prob = model.LogProb(pixels.narrow(0, 0, 100));
  ASSERT_TRUE(log_prob.ok());
  // A bound on log P(x) for integer points: below 0, above a uniform's.
  const double bits = BitsPerDim(*log_prob, 3);
  EXPECT_GT(bits, 0);
  EXPECT_LT(bits, std::log2(13.0));
}

}  // namespace
}  // namespace jkoflow
