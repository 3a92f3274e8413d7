#include "core/datasets.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jkoflow {
namespace {

constexpr double kPi = 3.14159265358979323846;

at::Tensor Gen(const std::string& name, int64_t n, uint64_t seed) {
  absl::StatusOr<torch::Tensor> x = GenerateBuiltin(name, n, seed);
  EXPECT_TRUE(x.ok()) << name << ": " << x.status();
  return x.ok() ? *x : at::zeros({n, 2});
}

at::Tensor F64(std::vector<double> v, std::vector<int64_t> shape) {
  return at::tensor(v, at::kDouble).reshape(shape);
}

at::Tensor Randn(std::vector<int64_t> shape, uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  return torch::randn(shape, gen, at::kFloat);
}

TEST(DatasetsTest, NamesAreTheEightToySets) {
  const std::vector<std::string> expected = {
      "8gaussians", "checkerboard", "2spirals",  "moons",
      "pinwheel",   "rings",        "swissroll", "circles"};
  EXPECT_EQ(BuiltinDatasetNames(), expected);
}

TEST(DatasetsTest, EveryBuiltinHasShapeDtypeFinitenessAndReproducibility) {
  for (const std::string& name : BuiltinDatasetNames()) {
    for (int64_t n : {1, 2, 3, 7, 1001}) {
      const at::Tensor a = Gen(name, n, 42);
      ASSERT_EQ(a.dim(), 2) << name;
      EXPECT_EQ(a.size(0), n) << name;
      EXPECT_EQ(a.size(1), 2) << name;
      EXPECT_EQ(a.scalar_type(), at::kFloat) << name;
      EXPECT_TRUE(a.device().is_cpu()) << name;
      EXPECT_TRUE(at::isfinite(a).all().item<bool>()) << name << " n=" << n;
    }
    const at::Tensor a = Gen(name, 500, 7);
    const at::Tensor b = Gen(name, 500, 7);
    const at::Tensor c = Gen(name, 500, 8);
    EXPECT_TRUE(at::equal(a, b)) << name << ": same seed must reproduce";
    EXPECT_FALSE(at::equal(a, c)) << name << ": different seeds must differ";
  }
}

TEST(DatasetsTest, ErrorsOnUnknownNameAndNonPositiveN) {
  absl::StatusOr<torch::Tensor> bad = GenerateBuiltin("nope", 10, 0);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  // The message lists the valid names.
  EXPECT_NE(bad.status().message().find("checkerboard"), std::string::npos);
  EXPECT_NE(bad.status().message().find("swissroll"), std::string::npos);
  for (int64_t n : {0, -1}) {
    absl::StatusOr<torch::Tensor> r = GenerateBuiltin("moons", n, 0);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

// Residual to the nearest centre is N(0, (0.5/1.414)^2 I). With n = 50000 the
// standard error of a per-axis std estimate is ~0.0011: tolerance 0.01.
TEST(DatasetsTest, EightGaussiansResidualStd) {
  const at::Tensor x = Gen("8gaussians", 50000, 3).to(at::kDouble);
  std::vector<double> c;
  for (int j = 0; j < 8; ++j) {
    c.push_back(4.0 * std::cos(kPi * j / 4.0) / 1.414);
    c.push_back(4.0 * std::sin(kPi * j / 4.0) / 1.414);
  }
  const at::Tensor centres = F64(c, {8, 2});
  const at::Tensor d2 =
      (x.unsqueeze(1) - centres.unsqueeze(0)).pow(2).sum(2);  // [n, 8]
  const at::Tensor nearest = d2.argmin(1);
  const at::Tensor r = x - centres.index_select(0, nearest);
  const double expected = 0.5 / 1.414;
  for (int axis = 0; axis < 2; ++axis) {
    const at::Tensor ra = r.select(1, axis);
    EXPECT_NEAR(ra.std().item<double>(), expected, 0.01) << "axis " << axis;
    EXPECT_NEAR(ra.mean().item<double>(), 0.0, 0.01) << "axis " << axis;
  }
  // Every centre is used, roughly uniformly (expected 6250 each, sd ~74).
  const at::Tensor counts = at::bincount(nearest, {}, 8);
  EXPECT_GT(counts.min().item<int64_t>(), 5800);
  EXPECT_LT(counts.max().item<int64_t>(), 6700);
}

// Checkerboard points lie in [-4, 4]^2 on squares of side 2 whose index
// parity floor(x/2) + floor(y/2) is even. Float32 rounding can at most push a
// point lying within ~2e-7 of a square edge across it: allow 1e-4 of points.
TEST(DatasetsTest, CheckerboardOnBlackSquares) {
  const int64_t n = 20000;
  const at::Tensor x = Gen("checkerboard", n, 11).to(at::kDouble);
  EXPECT_GE(x.min().item<double>(), -4.0);
  EXPECT_LE(x.max().item<double>(), 4.0);
  const at::Tensor cells = at::floor(x / 2.0).sum(1);
  const int64_t odd = at::remainder(cells, 2.0).ne(0).sum().item<int64_t>();
  EXPECT_LE(odd, n / 10000);
  // Both halves of the board are populated evenly (8 black squares).
  const int64_t right = x.select(1, 0).gt(0).sum().item<int64_t>();
  EXPECT_NEAR(static_cast<double>(right) / n, 0.5, 0.02);
}

// Circles: half the points near radius 3, half near 1.5 (noise sd 0.24).
TEST(DatasetsTest, CirclesRadii) {
  const int64_t n = 20000;
  const at::Tensor x = Gen("circles", n, 5).to(at::kDouble);
  const at::Tensor r = x.norm(2, {1});
  const at::Tensor outer = r.gt(2.25);
  const int64_t n_outer = outer.sum().item<int64_t>();
  EXPECT_NEAR(static_cast<double>(n_outer), n / 2.0, n * 0.005);
  EXPECT_NEAR(r.masked_select(outer).mean().item<double>(), 3.0, 0.05);
  EXPECT_NEAR(r.masked_select(outer.logical_not()).mean().item<double>(), 1.5,
              0.05);
}

// Rings: four radii 3, 2.25, 1.5, 0.75 with noise sd 0.08; a quarter each.
TEST(DatasetsTest, RingsRadii) {
  const int64_t n = 20000;
  const at::Tensor r = Gen("rings", n, 5).to(at::kDouble).norm(2, {1});
  // Mean radius is (3 + 2.25 + 1.5 + 0.75) / 4 = 1.875 (+ tiny noise bias).
  EXPECT_NEAR(r.mean().item<double>(), 1.875, 0.02);
  const int64_t inner = r.lt(1.125).sum().item<int64_t>();
  EXPECT_NEAR(static_cast<double>(inner), n / 4.0, n * 0.005);
}

// Moons: before the affine map the mean is (0.5, 0.25) up to the O(1/n)
// discretisation of the arcs, so afterwards it is (0, 0.3). Noise sd of the
// mean is 0.2/sqrt(n) ~ 0.0014: tolerance 0.01.
TEST(DatasetsTest, MoonsMean) {
  const at::Tensor x = Gen("moons", 20000, 9).to(at::kDouble);
  const at::Tensor m = x.mean(0);
  EXPECT_NEAR(m[0].item<double>(), 0.0, 0.01);
  EXPECT_NEAR(m[1].item<double>(), 0.3, 0.01);
}

// 2spirals is symmetric under x -> -x (plus uniform offsets of mean
// +-0.25/3 per arm, which cancel): mean ~ 0, points within radius ~4.
TEST(DatasetsTest, TwoSpiralsSymmetric) {
  const at::Tensor x = Gen("2spirals", 20000, 9).to(at::kDouble);
  const at::Tensor m = x.mean(0);
  EXPECT_NEAR(m[0].item<double>(), 0.0, 0.05);
  EXPECT_NEAR(m[1].item<double>(), 0.0, 0.05);
  EXPECT_LT(x.norm(2, {1}).max().item<double>(), 4.5);
}

// Swissroll: radius t/5 in [0.94, 2.83] before noise (noise sd 0.2/axis).
TEST(DatasetsTest, SwissrollRadiusRange) {
  const at::Tensor r = Gen("swissroll", 20000, 9).to(at::kDouble).norm(2, {1});
  // E[t] = 3 pi -> mean radius ~ 3 pi / 5 = 1.885 (noise adds ~+0.01).
  EXPECT_NEAR(r.mean().item<double>(), 3.0 * kPi / 5.0, 0.05);
}

// Pinwheel: 5 arms, |point| = 2 |f| with f1 ~ 1 + 0.3 N: mean radius ~ 2.
TEST(DatasetsTest, PinwheelRadius) {
  const at::Tensor r = Gen("pinwheel", 20000, 9).to(at::kDouble).norm(2, {1});
  EXPECT_NEAR(r.mean().item<double>(), 2.0, 0.05);
}

TEST(GaussianMixtureTest, OneComponentMatchesClosedForm) {
  const at::Tensor mean = F64({0.5, -1.0, 2.0}, {1, 3});
  const at::Tensor std = F64({0.7, 1.3, 0.4}, {1, 3});
  absl::StatusOr<GaussianMixture> gm =
      GaussianMixture::Create(F64({3.0}, {1}), mean, std);
  ASSERT_TRUE(gm.ok()) << gm.status();
  EXPECT_EQ(gm->dim(), 3);
  const at::Tensor x = Randn({50, 3}, 1);  // any float dtype
  absl::StatusOr<torch::Tensor> lp = gm->LogProb(x);
  ASSERT_TRUE(lp.ok()) << lp.status();
  ASSERT_EQ(lp->scalar_type(), at::kDouble);
  ASSERT_EQ(lp->dim(), 1);
  ASSERT_EQ(lp->size(0), 50);
  const at::Tensor xd = x.to(at::kDouble);
  for (int64_t i = 0; i < 50; ++i) {
    double expected = -1.5 * std::log(2.0 * kPi);
    for (int64_t j = 0; j < 3; ++j) {
      const double m = mean[0][j].item<double>();
      const double s = std[0][j].item<double>();
      const double z = (xd[i][j].item<double>() - m) / s;
      expected += -0.5 * z * z - std::log(s);
    }
    EXPECT_NEAR((*lp)[i].item<double>(), expected, 1e-10) << "row " << i;
  }
}

TEST(GaussianMixtureTest, LogProbShapeErrorNamesColumns) {
  const GaussianMixture gm = GaussianMixture::EightGaussians();
  EXPECT_EQ(gm.dim(), 2);
  absl::StatusOr<torch::Tensor> lp = gm.LogProb(at::zeros({4, 3}));
  ASSERT_FALSE(lp.ok());
  EXPECT_EQ(lp.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(lp.status().message().find("2"), std::string::npos);
  EXPECT_NE(lp.status().message().find("3"), std::string::npos);
  EXPECT_FALSE(gm.LogProb(at::zeros({4})).ok());
  EXPECT_FALSE(gm.LogProb(torch::Tensor()).ok());
  EXPECT_FALSE(gm.LogProb(at::zeros({4, 2}, at::kLong)).ok());
}

// Midpoint rule with h = 0.02 on [-8, 8]^2 for a smooth density whose mass is
// all well inside the box: accurate far beyond the 1e-3 tolerance.
TEST(GaussianMixtureTest, EightGaussiansIntegratesToOne) {
  const GaussianMixture gm = GaussianMixture::EightGaussians();
  const int64_t m = 800;
  const double h = 16.0 / m;
  const at::Tensor g =
      at::arange(m, at::kDouble) * h + (-8.0 + 0.5 * h);  // cell midpoints
  const at::Tensor gx = g.unsqueeze(1).expand({m, m}).reshape({-1});
  const at::Tensor gy = g.unsqueeze(0).expand({m, m}).reshape({-1});
  absl::StatusOr<torch::Tensor> lp = gm.LogProb(at::stack({gx, gy}, 1));
  ASSERT_TRUE(lp.ok()) << lp.status();
  const double mass = lp->exp().sum().item<double>() * h * h;
  EXPECT_NEAR(mass, 1.0, 1e-3);
}

// Components are separated by ~6 sds, so the entropy is log 8 plus the
// entropy of one component, log(2 pi e sigma^2) = 2.838 nats; the test uses
// the nominal 2.833 with tolerance 0.02 (MC sd ~ 1.2e-3 at n = 200000).
TEST(GaussianMixtureTest, EightGaussiansMatchesToySetEntropy) {
  const GaussianMixture gm = GaussianMixture::EightGaussians();
  const at::Tensor x = Gen("8gaussians", 200000, 21);
  absl::StatusOr<torch::Tensor> lp = gm.LogProb(x);
  ASSERT_TRUE(lp.ok()) << lp.status();
  EXPECT_NEAR(lp->mean().item<double>(), -2.833, 0.02);
}

// Sample mean of 100000 draws vs the weighted mean; per-coordinate sd of the
// estimate is < 3.5/sqrt(1e5) ~ 0.011: tolerance 0.05.
TEST(GaussianMixtureTest, SampleMeanMatchesWeightedMean) {
  const at::Tensor w = F64({1.0, 3.0}, {2});
  const at::Tensor mu = F64({-2.0, 0.0, 1.0, 4.0, 3.0, -1.0}, {2, 3});
  const at::Tensor sd = F64({0.5, 1.0, 0.3, 0.2, 0.8, 1.5}, {2, 3});
  absl::StatusOr<GaussianMixture> gm = GaussianMixture::Create(w, mu, sd);
  ASSERT_TRUE(gm.ok()) << gm.status();
  EXPECT_NEAR(gm->weights().sum().item<double>(), 1.0, 1e-15);
  absl::StatusOr<torch::Tensor> s = gm->Sample(100000, 4);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->scalar_type(), at::kFloat);
  ASSERT_EQ(s->size(0), 100000);
  ASSERT_EQ(s->size(1), 3);
  const at::Tensor expected = (w / 4.0).unsqueeze(1).mul(mu).sum(0);
  const at::Tensor got = s->to(at::kDouble).mean(0);
  for (int j = 0; j < 3; ++j) {
    EXPECT_NEAR(got[j].item<double>(), expected[j].item<double>(), 0.05);
  }
  absl::StatusOr<torch::Tensor> s2 = gm->Sample(100000, 4);
  ASSERT_TRUE(s2.ok());
  EXPECT_TRUE(at::equal(*s, *s2));
  EXPECT_FALSE(gm->Sample(0, 4).ok());
}

TEST(GaussianMixtureTest, CreateRejectsBadInputs) {
  const at::Tensor w = F64({0.5, 0.5}, {2});
  const at::Tensor mu = at::zeros({2, 3}, at::kDouble);
  const at::Tensor sd = at::ones({2, 3}, at::kDouble);
  EXPECT_TRUE(GaussianMixture::Create(w, mu, sd).ok());
  auto code = [](const absl::StatusOr<GaussianMixture>& r) {
    return r.status().code();
  };
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  // Shapes.
  EXPECT_EQ(code(GaussianMixture::Create(F64({1, 1, 1}, {3}), mu, sd)),
            kInvalid);
  EXPECT_EQ(code(GaussianMixture::Create(w, at::zeros({2, 3, 1}), sd)),
            kInvalid);
  EXPECT_EQ(code(GaussianMixture::Create(w, mu, at::ones({2, 2}))), kInvalid);
  EXPECT_EQ(code(GaussianMixture::Create(w.reshape({1, 2}), mu, sd)), kInvalid);
  EXPECT_EQ(code(GaussianMixture::Create(torch::Tensor(), mu, sd)), kInvalid);
  // Values.
  EXPECT_EQ(code(GaussianMixture::Create(w, mu, -sd)), kInvalid);
  EXPECT_EQ(code(GaussianMixture::Create(w, mu, at::zeros({2, 3}))), kInvalid);
  EXPECT_EQ(code(GaussianMixture::Create(F64({0.5, -0.5}, {2}), mu, sd)),
            kInvalid);
  EXPECT_EQ(code(GaussianMixture::Create(F64({0.5, 0.0}, {2}), mu, sd)),
            kInvalid);
  EXPECT_EQ(code(GaussianMixture::Create(w, mu * NAN, sd)), kInvalid);
  EXPECT_EQ(code(GaussianMixture::Create(w, mu, sd * INFINITY)), kInvalid);
}

TEST(GaussianMixtureTest, RandomIsSeededAndInRange) {
  absl::StatusOr<GaussianMixture> a = GaussianMixture::Random(10, 8, 1);
  absl::StatusOr<GaussianMixture> b = GaussianMixture::Random(10, 8, 1);
  absl::StatusOr<GaussianMixture> c = GaussianMixture::Random(10, 8, 2);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->dim(), 10);
  EXPECT_EQ(a->num_components(), 8);
  EXPECT_TRUE(at::equal(a->means(), b->means()));
  EXPECT_FALSE(at::equal(a->means(), c->means()));
  EXPECT_GE(a->means().min().item<double>(), -3.0);
  EXPECT_LE(a->means().max().item<double>(), 3.0);
  EXPECT_GE(a->stds().min().item<double>(), 0.3);
  EXPECT_LE(a->stds().max().item<double>(), 0.8);
  EXPECT_NEAR(a->weights()[0].item<double>(), 0.125, 1e-15);
  EXPECT_FALSE(GaussianMixture::Random(0, 8, 1).ok());
  EXPECT_FALSE(GaussianMixture::Random(2, 0, 1).ok());
}

TEST(GaussianMixtureTest, ParseSpec) {
  absl::StatusOr<GaussianMixture> gm = ParseGaussianMixtureSpec("gmm:10:8:1");
  ASSERT_TRUE(gm.ok()) << gm.status();
  EXPECT_EQ(gm->dim(), 10);
  EXPECT_EQ(gm->num_components(), 8);
  absl::StatusOr<GaussianMixture> direct = GaussianMixture::Random(10, 8, 1);
  ASSERT_TRUE(direct.ok());
  EXPECT_TRUE(at::equal(gm->means(), direct->means()));
  for (const std::string bad :
       {"", "gmm", "gmm:10:8", "gmm:10:8:1:2", "gaussian:10:8:1", "gmm:0:8:1",
        "gmm:10:0:1", "gmm:-1:8:1", "gmm:10:8:-1", "gmm:a:8:1", "gmm:10:8:x",
        "8gaussians"}) {
    absl::StatusOr<GaussianMixture> r = ParseGaussianMixtureSpec(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace jkoflow
