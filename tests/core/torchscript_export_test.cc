#include "core/torchscript_export.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/jit/serialization/import.h>

#include <sstream>
#include <string>
#include <vector>

#include "core/data_transform.h"
#include "core/flow_model.h"

namespace jkoflow {
namespace {

// A flow of `blocks` random blocks on `dim` dimensions.
FlowModel RandomFlow(int64_t dim, const VelocityFieldOptions& field, int blocks,
                     uint64_t seed, torch::ScalarType dtype = torch::kFloat32) {
  FlowModel model(dim, torch::Device("cpu"), dtype);
  for (int k = 0; k < blocks; ++k) {
    JkoBlockConfig config;
    config.steps = 3 + k;
    config.field = field;
    auto block = JkoBlock::Create(config, seed + k);
    EXPECT_TRUE(block.ok()) << block.status();
    EXPECT_TRUE(model.AppendBlock(*block, BlockStats()).ok());
  }
  return model;
}

torch::jit::Module Exported(const FlowModel& model) {
  auto bytes = ExportTorchScript(model, {"m", 3});
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  std::istringstream in(bytes.ok() ? *bytes : std::string());
  return torch::jit::load(in);
}

torch::Tensor Call(torch::jit::Module& module, const std::string& method,
                   std::vector<c10::IValue> args) {
  return module.get_method(method)(std::move(args)).toTensor();
}

// The exported log_prob, forward and inverse against the model's own.
void ExpectSameMaps(const FlowModel& model, const torch::Tensor& x,
                    const torch::Tensor& z, uint64_t seed = 0) {
  torch::jit::Module module = Exported(model);
  auto expected = model.LogProb(x, DivergenceOptions(), seed);
  ASSERT_TRUE(expected.ok()) << expected.status();
  torch::Tensor log_prob = Call(module, "log_prob", {x, int64_t(seed)});
  EXPECT_EQ(log_prob.scalar_type(), torch::kFloat64);
  const double scale = 1 + expected->abs().max().item<double>();
  EXPECT_LT(
      (log_prob - expected->to(torch::kFloat64)).abs().max().item<double>(),
      1e-5 * scale);
  auto noise = model.MapToNoise(x);
  ASSERT_TRUE(noise.ok());
  if (!model.transform().Integer()) {
    EXPECT_TRUE(
        torch::allclose(Call(module, "forward", {x}), *noise, 1e-4, 1e-4));
  }
  auto data = model.MapToData(z);
  ASSERT_TRUE(data.ok());
  EXPECT_TRUE(torch::allclose(Call(module, "inverse", {z}), *data, 1e-4, 1e-4));
}

TEST(TorchScriptExportTest, SoftplusFlowMatchesTheModel) {
  FlowModel model = RandomFlow(2, VelocityFieldOptions(2).width(32), 2, 5);
  ExpectSameMaps(model, torch::randn({300, 2}), torch::randn({300, 2}));
}

TEST(TorchScriptExportTest, TanhWithTimeInputInFloat64MatchesTheModel) {
  FlowModel model = RandomFlow(3,
                               VelocityFieldOptions(3)
                                   .width(16)
                                   .depth(2)
                                   .activation(Activation::kTanh)
                                   .time_input(true),
                               3, 11, torch::kFloat64);
  ExpectSameMaps(model, torch::randn({200, 3}, torch::kFloat64),
                 torch::randn({200, 3}, torch::kFloat64));
}

TEST(TorchScriptExportTest, SiluFlowMatchesTheModel) {
  FlowModel model = RandomFlow(
      4,
      VelocityFieldOptions(4).width(8).depth(1).activation(Activation::kSilu),
      1, 17);
  ExpectSameMaps(model, torch::randn({100, 4}), torch::randn({100, 4}));
}

// Integer data in `dim` columns of levels 0 … 16, fitted with `spec`.
FlowModel IntegerFlow(int64_t dim, const std::string& spec, uint64_t seed) {
  torch::manual_seed(seed);
  torch::Tensor data = (torch::randn({600, dim}) * 3 + 8).round().clamp(0, 16);
  auto parsed = ParseTransformSpec(spec);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  torch::Tensor transformed;
  auto transform = FitTransform(*parsed, data, seed, &transformed);
  EXPECT_TRUE(transform.ok()) << transform.status();
  const int64_t flow_dim = transform->FlowDim();
  FlowModel model =
      RandomFlow(dim, VelocityFieldOptions(flow_dim).width(24), 0, seed);
  EXPECT_TRUE(model.set_transform(*transform).ok());
  for (int k = 0; k < 2; ++k) {
    JkoBlockConfig config;
    config.field = VelocityFieldOptions(flow_dim).width(24);
    auto block = JkoBlock::Create(config, seed + 100 + k);
    EXPECT_TRUE(model.AppendBlock(*block, BlockStats()).ok());
  }
  return model;
}

TEST(TorchScriptExportTest, CopulaOfIntegerDataMatchesWithEverySeed) {
  FlowModel model = IntegerFlow(6, "auto", 3);
  ASSERT_TRUE(model.transform().Steps().marginal);
  torch::Tensor x = (torch::randn({150, 6}) * 3 + 8).round().clamp(0, 16);
  ExpectSameMaps(model, x, torch::randn({150, 6}), /*seed=*/0);
  ExpectSameMaps(model, x, torch::randn({150, 6}), /*seed=*/12345);
}

TEST(TorchScriptExportTest, LogitAndStandardizedStepsMatch) {
  FlowModel model =
      IntegerFlow(5, "dequantize,scale,logit,standardize,whiten", 4);
  torch::Tensor x = (torch::randn({150, 5}) * 3 + 8).round().clamp(0, 16);
  ExpectSameMaps(model, x, torch::randn({150, 5}), /*seed=*/9);
}

TEST(TorchScriptExportTest, ProjectedFlowKeepsTheRestGaussian) {
  FlowModel model = IntegerFlow(70, "auto", 6);
  ASSERT_EQ(model.FlowDim(), kAutoProjectDims);
  torch::Tensor x = (torch::randn({80, 70}) * 3 + 8).round().clamp(0, 16);
  ExpectSameMaps(model, x, torch::randn({80, 70}), /*seed=*/2);
}

TEST(TorchScriptExportTest, DequantizationNoiseIsTheModelsBitForBit) {
  torch::jit::Module module = Exported(IntegerFlow(6, "auto", 3));
  torch::Tensor x = torch::randint(0, 17, {50, 6}, torch::kFloat64);
  for (int64_t seed : {0, 1, 987654321}) {
    torch::Tensor u = Call(module, "_dequantization_noise", {x, seed});
    EXPECT_TRUE(torch::equal(u, DequantizationNoise(x, seed))) << seed;
  }
}

TEST(TorchScriptExportTest, SampleIsSeededAndGaussianWithoutBlocks) {
  FlowModel model(3);
  torch::jit::Module module = Exported(model);
  torch::Tensor a = Call(module, "sample", {int64_t{40000}, int64_t{7}});
  torch::Tensor b = Call(module, "sample", {int64_t{40000}, int64_t{7}});
  torch::Tensor c = Call(module, "sample", {int64_t{40000}, int64_t{8}});
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, c));
  ASSERT_EQ(a.sizes(), (std::vector<int64_t>{40000, 3}));
  const torch::Tensor d = a.to(torch::kFloat64);
  EXPECT_LT(d.mean(0).abs().max().item<double>(), 0.02);
  const torch::Tensor cov = torch::matmul(d.t(), d) / d.size(0);
  EXPECT_LT((cov - torch::eye(3, torch::kFloat64)).abs().max().item<double>(),
            0.03);
}

TEST(TorchScriptExportTest, KeepsItsLabelsAndRefusesPointsOfAnotherShape) {
  torch::jit::Module module =
      Exported(RandomFlow(2, VelocityFieldOptions(2).width(8), 1, 1));
  EXPECT_EQ(module.attr("dim").toInt(), 2);
  EXPECT_EQ(module.attr("model_name").toStringRef(), "m");
  EXPECT_EQ(module.attr("model_version").toInt(), 3);
  try {
    Call(module, "log_prob", {torch::zeros({4, 3}), int64_t{0}});
    FAIL() << "three columns were accepted";
  } catch (const std::exception& e) {  // torch::jit::JITException
    EXPECT_NE(
        std::string(e.what()).find("expected points of shape [n >= 1, 2]"),
        std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace jkoflow
