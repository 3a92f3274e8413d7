#include "core/data_transform.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"

namespace jkoflow {
namespace {

// Correlated integer "pixels" in [0, 16]: a latent factor plus noise.
torch::Tensor IntegerData(int64_t n, int64_t d, uint64_t seed) {
  at::Generator g = at::detail::createCPUGenerator(seed);
  torch::Tensor latent = at::randn({n, 1}, g, torch::kFloat64);
  torch::Tensor noise = at::randn({n, d}, g, torch::kFloat64);
  return (8 + 3 * latent + 2 * noise).round().clamp(0, 16).to(torch::kFloat32);
}

// Correlated real-valued data with different scales per feature.
torch::Tensor RealData(int64_t n, uint64_t seed) {
  at::Generator g = at::detail::createCPUGenerator(seed);
  torch::Tensor z = at::randn({n, 3}, g, torch::kFloat64);
  torch::Tensor mix = torch::tensor(
      {{2.0, 0.0, 0.0}, {1.5, 0.3, 0.0}, {-0.5, 0.2, 10.0}}, torch::kFloat64);
  return torch::matmul(z, mix.t()) +
         torch::tensor({1.0, -2.0, 5.0}, torch::kFloat64);
}

// FiniteDifferenceJacobian() is ∂y/∂x of t.Forward() at `point` [1, dim]
// by central differences with step 1e-5 (dequantisation noise, if any,
// from seed 0).
torch::Tensor FiniteDifferenceJacobian(const DataTransform& t,
                                       const torch::Tensor& point) {
  constexpr double kEps = 1e-5;
  const int64_t dim = point.size(1);
  torch::Tensor jacobian = torch::zeros({dim, dim}, torch::kFloat64);
  for (int64_t j = 0; j < dim; ++j) {
    torch::Tensor step = torch::zeros({1, dim}, torch::kFloat64);
    step[0][j] = kEps;
    auto plus = t.Forward(point + step);
    auto minus = t.Forward(point - step);
    EXPECT_TRUE(plus.ok() && minus.ok());
    if (!plus.ok() || !minus.ok()) break;
    jacobian.select(1, j).copy_(((plus->first - minus->first) / (2 * kEps))[0]);
  }
  return jacobian;
}

TEST(TransformSpecTest, ParsesAndPrints) {
  auto automatic = ParseTransformSpec("auto");
  ASSERT_TRUE(automatic.ok());
  EXPECT_TRUE(automatic->automatic);
  auto none = ParseTransformSpec("none");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->automatic);
  EXPECT_EQ(TransformSpecName(*none), "none");
  auto steps = ParseTransformSpec("scale,logit,whiten");
  ASSERT_TRUE(steps.ok());
  EXPECT_EQ(TransformSpecName(*steps), "scale,logit,whiten");
  EXPECT_FALSE(ParseTransformSpec("logit").ok());  // needs scale
  EXPECT_FALSE(ParseTransformSpec("whiten,whiten").ok());
  EXPECT_FALSE(ParseTransformSpec("marginal,whiten").ok());  // dequantize
  EXPECT_FALSE(ParseTransformSpec("dequantize,marginal,scale").ok());
  auto copula = ParseTransformSpec("dequantize,marginal,whiten");
  ASSERT_TRUE(copula.ok());
  EXPECT_EQ(TransformSpecName(*copula), "dequantize,marginal,whiten");
  auto bad = ParseTransformSpec("sharpen");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("transform:"), std::string::npos);
  auto projected = ParseTransformSpec("dequantize,marginal,whiten,project=8");
  ASSERT_TRUE(projected.ok()) << projected.status();
  EXPECT_EQ(projected->project, 8);
  EXPECT_EQ(TransformSpecName(*projected),
            "dequantize,marginal,whiten,project=8");
  EXPECT_FALSE(ParseTransformSpec("standardize,project=2").ok());  // whiten
  EXPECT_FALSE(ParseTransformSpec("whiten,project=0").ok());
  EXPECT_FALSE(ParseTransformSpec("whiten,project=two").ok());
  EXPECT_FALSE(ParseTransformSpec("project=2,whiten").ok());  // last
}

TEST(DataTransformTest, ProjectionGivesPrincipalCoordinatesLargestFirst) {
  torch::Tensor x = RealData(400, 5);
  auto spec = ParseTransformSpec("whiten,project=2");
  ASSERT_TRUE(spec.ok());
  torch::Tensor flow_rows;
  auto t = FitTransform(*spec, x, 0, &flow_rows);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->FlowDim(), 2);
  EXPECT_EQ(t->Describe(), "whiten, project 2 of 3");
  // White, as the symmetric whitening is, with the same |det|.
  torch::Tensor y = flow_rows.to(torch::kFloat64);
  torch::Tensor cov = torch::matmul(y.t(), y) / (400 - 1);
  EXPECT_LT((cov - torch::eye(3, torch::kFloat64)).abs().max().item<double>(),
            1e-4);
  auto symmetric = FitTransform(*ParseTransformSpec("whiten"), x, 0, nullptr);
  ASSERT_TRUE(symmetric.ok());
  auto a = t->Forward(x.narrow(0, 0, 10));
  auto b = symmetric->Forward(x.narrow(0, 0, 10));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_LT((a->second - b->second).abs().max().item<double>(), 1e-9);
  // The first coordinate is the direction of largest variance: the data's
  // projection on it has the largest eigenvalue of the covariance.
  const torch::Tensor centred = x - x.mean(0);
  const torch::Tensor data_cov = torch::matmul(centred.t(), centred) / 399;
  const double top =
      std::get<0>(torch::linalg_eigh(data_cov))[2].item<double>();
  const torch::Tensor first = y.select(1, 0);
  // y₀ = u₀ᵀ(x − μ) / √λ₀: regress x on y₀ to recover √λ₀ u₀.
  const torch::Tensor direction =
      torch::matmul(centred.t(), first) / first.pow(2).sum();
  EXPECT_NEAR(direction.pow(2).sum().item<double>(), top, 1e-4 * top);
  auto back = t->Inverse(a->first);
  ASSERT_TRUE(back.ok());
  EXPECT_LT((*back - x.narrow(0, 0, 10)).abs().max().item<double>(), 1e-8);
  EXPECT_FALSE(FitTransform(*ParseTransformSpec("whiten,project=4"), x, 0,
                            nullptr)
                   .ok());  // more than d
}

TEST(DataTransformTest, AutoProjectsWideIntegerData) {
  torch::Tensor pixels = IntegerData(300, kAutoProjectDims + 6, 2);
  auto t = FitTransform(TransformSpec(), pixels, 7, nullptr);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(
      TransformSpecName(t->Steps()),
      absl::StrCat("dequantize,marginal,whiten,project=", kAutoProjectDims));
  EXPECT_EQ(t->FlowDim(), kAutoProjectDims);
  auto narrow =
      FitTransform(TransformSpec(), IntegerData(300, 8, 2), 7, nullptr);
  ASSERT_TRUE(narrow.ok());
  EXPECT_EQ(narrow->FlowDim(), 8);
}

TEST(DataTransformTest, AutoChoosesStepsFromTheData) {
  torch::Tensor pixels = IntegerData(500, 4, 1);
  torch::Tensor flow_rows;
  auto t = FitTransform(TransformSpec(), pixels, 7, &flow_rows);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->Integer());
  EXPECT_EQ(TransformSpecName(t->Steps()), "dequantize,marginal,whiten");
  // Levels 0 … 16 and a margin of one above (none below 0).
  EXPECT_DOUBLE_EQ(t->parameters().lower, 0);
  EXPECT_DOUBLE_EQ(t->parameters().upper, 18);
  // The rows the flow trains on are white: mean 0, covariance I.
  torch::Tensor centred = flow_rows.to(torch::kFloat64);
  EXPECT_LT(centred.mean(0).abs().max().item<double>(), 1e-6);
  torch::Tensor cov = torch::matmul(centred.t(), centred) / (500 - 1);
  EXPECT_LT((cov - torch::eye(4, torch::kFloat64)).abs().max().item<double>(),
            1e-4);

  // Counts over more than kMaxMarginalLevels levels: no marginal step,
  // still dequantised and whitened.
  auto counts = FitTransform(TransformSpec(), pixels * 1000, 7, nullptr);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(TransformSpecName(counts->Steps()),
            "dequantize,standardize,whiten");

  // Real-valued data is left as it is.
  auto real = FitTransform(TransformSpec(), RealData(200, 2), 7, nullptr);
  ASSERT_TRUE(real.ok());
  EXPECT_TRUE(real->Identity());
  EXPECT_FALSE(real->Integer());
}

TEST(DataTransformTest, InverseUndoesForwardOnContinuousSteps) {
  torch::Tensor x = RealData(300, 3);
  auto spec = ParseTransformSpec("scale,logit,standardize,whiten");
  ASSERT_TRUE(spec.ok());
  auto t = FitTransform(*spec, x, 0, nullptr);
  ASSERT_TRUE(t.ok()) << t.status();
  auto forward = t->Forward(x);
  ASSERT_TRUE(forward.ok());
  auto back = t->Inverse(forward->first);
  ASSERT_TRUE(back.ok());
  EXPECT_LT((*back - x).abs().max().item<double>(), 1e-8);
}

// log|det ∂y/∂x| of Forward() against central finite differences.
TEST(DataTransformTest, LogDeterminantMatchesTheJacobian) {
  torch::Tensor x = RealData(300, 4);
  auto spec = ParseTransformSpec("scale,logit,standardize,whiten");
  ASSERT_TRUE(spec.ok());
  auto t = FitTransform(*spec, x, 0, nullptr);
  ASSERT_TRUE(t.ok());
  const torch::Tensor point = x.narrow(0, 5, 1);
  auto at_point = t->Forward(point);
  ASSERT_TRUE(at_point.ok());
  const torch::Tensor jacobian = FiniteDifferenceJacobian(*t, point);
  const double expected =
      std::log(std::abs(torch::det(jacobian).item<double>()));
  EXPECT_NEAR(at_point->second.item<double>(), expected, 1e-5);
}

TEST(DataTransformTest, OutsideTheSupportHasNoDensity) {
  torch::Tensor pixels = IntegerData(200, 3, 4);
  auto t = FitTransform(TransformSpec(), pixels, 0, nullptr);
  ASSERT_TRUE(t.ok());
  torch::Tensor points =
      torch::tensor({{3.0, 4.0, 5.0}, {3.0, 18.0, 5.0}, {-1.0, 4.0, 5.0}});
  auto out = t->Forward(points);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(std::isfinite(out->second[0].item<double>()));
  EXPECT_EQ(out->second[1].item<double>(),
            -std::numeric_limits<double>::infinity());
  EXPECT_EQ(out->second[2].item<double>(),
            -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(torch::isfinite(out->first).all().item<bool>());
}

TEST(DataTransformTest, IntegerInverseGivesIntegersOfTheSupport) {
  torch::Tensor pixels = IntegerData(300, 3, 5);
  auto t = FitTransform(TransformSpec(), pixels, 0, nullptr);
  ASSERT_TRUE(t.ok());
  at::Generator g = at::detail::createCPUGenerator(9);
  auto x = t->Inverse(3 * at::randn({1000, 3}, g, torch::kFloat64));
  ASSERT_TRUE(x.ok());
  EXPECT_TRUE((*x == x->round()).all().item<bool>());
  EXPECT_GE(x->min().item<double>(), 0);  // 0 … 16 and the margin above
  EXPECT_LE(x->max().item<double>(), 17);
  // Dequantising an integer point and mapping back returns the point.
  auto forward = t->Forward(pixels.narrow(0, 0, 50), 3);
  ASSERT_TRUE(forward.ok());
  auto back = t->Inverse(forward->first);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(torch::equal(*back, pixels.narrow(0, 0, 50).to(torch::kFloat64)));
}

// With the marginal step alone (one feature), the density of a dequantised
// point is the histogram's mass at its level: N(z) · |dz/dx| = p_k, and the
// masses over the levels sum to 1.
TEST(DataTransformTest, MarginalStepIsTheHistogramDensity) {
  torch::Tensor x = IntegerData(400, 1, 6);
  auto spec = ParseTransformSpec("dequantize,marginal");
  ASSERT_TRUE(spec.ok());
  auto t = FitTransform(*spec, x, 0, nullptr);
  ASSERT_TRUE(t.ok()) << t.status();
  const double lower = t->parameters().lower;
  const double upper = t->parameters().upper;
  torch::Tensor levels =
      torch::arange(lower, upper, torch::kFloat64).unsqueeze(1);
  auto out = t->Forward(levels, 5);
  ASSERT_TRUE(out.ok());
  const torch::Tensor z = out->first.squeeze(1);
  const torch::Tensor log_p =
      -0.5 * z.pow(2) - 0.5 * std::log(2 * M_PI) + out->second;
  EXPECT_NEAR(log_p.exp().sum().item<double>(), 1.0, 1e-9);
  // The most frequent level has the largest mass, as in the counts.
  const int64_t mode =
      (x.squeeze(1).to(torch::kLong) - static_cast<int64_t>(lower))
          .bincount()
          .argmax()
          .item<int64_t>();
  EXPECT_EQ(log_p.argmax().item<int64_t>(), mode);
  // The training rows come out close to N(0, 1).
  torch::Tensor rows;
  ASSERT_TRUE(FitTransform(*spec, x, 3, &rows).ok());
  EXPECT_NEAR(rows.mean().item<double>(), 0, 0.1);
  EXPECT_NEAR(rows.std().item<double>(), 1, 0.1);
}

// Features with different ranges: each keeps nearly all its mass on its
// own levels (and their margin), whatever the table's span.
TEST(DataTransformTest, MarginalMassStaysOnEachFeaturesOwnLevels) {
  at::Generator g = at::detail::createCPUGenerator(12);
  const torch::Tensor binary =
      (at::rand({2000, 1}, g, torch::kFloat64) < 0.3).to(torch::kFloat64);
  const torch::Tensor wide =
      (at::rand({2000, 1}, g, torch::kFloat64) * 1000).floor();
  auto spec = ParseTransformSpec("dequantize,marginal");
  ASSERT_TRUE(spec.ok());
  auto t = FitTransform(*spec, torch::cat({binary, wide}, 1), 0, nullptr);
  ASSERT_TRUE(t.ok()) << t.status();
  const DataTransform::Parameters& p = t->parameters();
  EXPECT_GE(p.upper - p.lower, 1000);
  // Binary: levels 0 and 1 and one level of margin, 2.
  const auto cdf = [&](int64_t feature, double level) {
    return p.marginal_cdf[feature][static_cast<int64_t>(level - p.lower)]
        .item<double>();
  };
  EXPECT_GT(cdf(0, 2) - cdf(0, 0), 0.999);
  EXPECT_NEAR(cdf(0, 1) - cdf(0, 0), 0.7, 0.03);
  // Wide: about uniform over 0 … 999.
  EXPECT_NEAR(cdf(1, 500) - cdf(1, 0), 0.5, 0.03);
}

// The marginal step's log-determinant against finite differences (the
// fitted map without its dequantisation, at a continuous point inside
// the levels), and its inverse.
TEST(DataTransformTest, MarginalStepJacobianAndInverse) {
  torch::Tensor x = IntegerData(300, 3, 8).to(torch::kFloat64);
  auto spec = ParseTransformSpec("dequantize,marginal,whiten");
  ASSERT_TRUE(spec.ok());
  auto fitted = FitTransform(*spec, x, 0, nullptr);
  ASSERT_TRUE(fitted.ok()) << fitted.status();
  DataTransform::Parameters continuous = fitted->parameters();
  continuous.steps.dequantize = false;
  auto t = DataTransform::FromParameters(continuous);
  ASSERT_TRUE(t.ok()) << t.status();
  const torch::Tensor point = x.narrow(0, 7, 1) + 0.37;
  auto at_point = t->Forward(point);
  ASSERT_TRUE(at_point.ok());
  const torch::Tensor jacobian = FiniteDifferenceJacobian(*t, point);
  EXPECT_NEAR(at_point->second.item<double>(),
              std::log(std::abs(torch::det(jacobian).item<double>())), 1e-5);
  auto continuous_back = t->Inverse(at_point->first);
  ASSERT_TRUE(continuous_back.ok());
  EXPECT_LT((*continuous_back - point).abs().max().item<double>(), 1e-9);
  // Integer points come back from their dequantised images.
  auto forward = fitted->Forward(x, 9);
  ASSERT_TRUE(forward.ok());
  auto back = fitted->Inverse(forward->first);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(torch::equal(*back, x));
}

TEST(DataTransformTest, RefusesBadParametersAndShapes) {
  DataTransform::Parameters p;
  p.dim = 2;
  p.steps.automatic = false;
  p.steps.scale = true;
  p.lower = 1;
  p.upper = 1;
  EXPECT_FALSE(DataTransform::FromParameters(p).ok());
  p.upper = 2;
  p.steps.standardize = true;
  p.mean = torch::zeros({2}, torch::kFloat64);
  p.scale = torch::tensor({1.0, 0.0}, torch::kFloat64);
  auto zero_scale = DataTransform::FromParameters(p);
  ASSERT_FALSE(zero_scale.ok());
  EXPECT_NE(zero_scale.status().message().find("standardize.scale"),
            std::string::npos);
  p.scale = torch::ones({2}, torch::kFloat64);
  auto good = DataTransform::FromParameters(p);
  ASSERT_TRUE(good.ok());
  EXPECT_FALSE(good->SetItemShape({3}).ok());

  // A marginal CDF must rise strictly from 0 to 1.
  DataTransform::Parameters m;
  m.dim = 1;
  m.steps.automatic = false;
  m.steps.dequantize = m.steps.marginal = true;
  m.lower = 0;
  m.upper = 2;
  m.marginal_cdf = torch::tensor({{0.0, 0.3, 1.0}}, torch::kFloat64);
  EXPECT_TRUE(DataTransform::FromParameters(m).ok());
  m.marginal_cdf = torch::tensor({{0.0, 0.0, 1.0}}, torch::kFloat64);
  auto flat = DataTransform::FromParameters(m);
  ASSERT_FALSE(flat.ok());
  EXPECT_NE(flat.status().message().find("marginal.cdf"), std::string::npos);
  m.marginal_cdf = torch::tensor({{0.0, 0.3, 0.9}}, torch::kFloat64);
  EXPECT_FALSE(DataTransform::FromParameters(m).ok());
  m.upper = 1.5;  // levels must be whole
  EXPECT_FALSE(DataTransform::FromParameters(m).ok());
  EXPECT_TRUE(good->SetItemShape({1, 2}).ok());
  EXPECT_EQ(good->item_shape(), (std::vector<int64_t>{1, 2}));
}

// A row's dequantisation noise depends on the seed and the row alone: the
// same point maps to the same place alone or among others.
TEST(DataTransformTest, DequantizationNoiseIsTheRowsOwn) {
  torch::Tensor pixels = IntegerData(300, 5, 13).to(torch::kFloat64);
  const torch::Tensor u = DequantizationNoise(pixels, 4);
  EXPECT_GE(u.min().item<double>(), 0);
  EXPECT_LT(u.max().item<double>(), 1);
  EXPECT_NEAR(u.mean().item<double>(), 0.5, 0.03);
  EXPECT_NEAR(u.var().item<double>(), 1.0 / 12, 0.01);
  // Rows in another order and company get the same noise.
  const torch::Tensor some =
      pixels.index_select(0, torch::tensor({7, 3, 250}, torch::kLong));
  EXPECT_TRUE(torch::equal(
      DequantizationNoise(some, 4),
      u.index_select(0, torch::tensor({7, 3, 250}, torch::kLong))));
  // Another seed: other noise.
  EXPECT_FALSE(torch::equal(DequantizationNoise(pixels, 5), u));
  // Through the fitted transform: one point alone or in a batch.
  auto t = FitTransform(TransformSpec(), pixels, 0, nullptr);
  ASSERT_TRUE(t.ok());
  auto all = t->Forward(pixels, 9);
  auto one = t->Forward(pixels.narrow(0, 42, 1), 9);
  ASSERT_TRUE(all.ok() && one.ok());
  EXPECT_TRUE(torch::equal(one->first, all->first.narrow(0, 42, 1)));
  EXPECT_EQ(one->second.item<double>(), all->second[42].item<double>());
}

TEST(DataTransformTest, BitsPerDim) {
  torch::Tensor log_prob =
      torch::full({4}, -2 * 8 * std::log(2.0), torch::kFloat64);
  EXPECT_NEAR(BitsPerDim(log_prob, 8), 2.0, 1e-12);
}

}  // namespace
}  // namespace jkoflow
