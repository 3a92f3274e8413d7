#include "core/datasets.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "base/status_macros.h"
#include "core/torch_status.h"

namespace jkoflow {
namespace {

constexpr double kPi = 3.14159265358979323846;
// Elements of the [K, d, chunk] temporary in LogProb.
constexpr int64_t kLogProbChunkElements = int64_t{1} << 20;

const at::TensorOptions kF64 =
    at::TensorOptions().dtype(at::kDouble).device(at::kCPU);

// Evenly spaced angles in [0, 2 pi), endpoint excluded, [k] float64.
at::Tensor OpenAngles(int64_t k) {
  if (k == 0) return at::empty({0}, kF64);
  return at::arange(k, kF64) * (2.0 * kPi / static_cast<double>(k));
}

// Points r (cos a, sin a) for the angles a: [k, 2].
at::Tensor Circle(const at::Tensor& angles, double radius) {
  return at::stack({at::cos(angles) * radius, at::sin(angles) * radius}, 1);
}

at::Tensor Shuffle(const at::Tensor& x, at::Generator& gen) {
  const at::Tensor perm = torch::randperm(x.size(0), gen, at::kLong);
  return x.index_select(0, perm);
}

at::Tensor EightGaussianCentres() {
  std::vector<double> c;
  c.reserve(16);
  for (int j = 0; j < 8; ++j) {
    const double a = kPi * j / 4.0;
    c.push_back(4.0 * std::cos(a));
    c.push_back(4.0 * std::sin(a));
  }
  return at::tensor(c, kF64).reshape({8, 2});
}

at::Tensor GenEightGaussians(int64_t n, at::Generator& gen) {
  const at::Tensor idx = torch::randint(0, 8, {n}, gen, at::kLong);
  const at::Tensor noise = torch::randn({n, 2}, gen, kF64);
  return (EightGaussianCentres().index_select(0, idx) + 0.5 * noise) / 1.414;
}

at::Tensor GenCheckerboard(int64_t n, at::Generator& gen) {
  const at::Tensor x1 = torch::rand({n}, gen, kF64) * 4.0 - 2.0;
  const at::Tensor u = torch::rand({n}, gen, kF64);
  const at::Tensor b = torch::randint(0, 2, {n}, gen, kF64);
  const at::Tensor x2 = u - 2.0 * b + at::remainder(at::floor(x1), 2.0);
  return at::stack({x1, x2}, 1) * 2.0;
}

at::Tensor GenTwoSpirals(int64_t n, at::Generator& gen) {
  const int64_t n_first = n - n / 2;
  const at::Tensor t =
      at::sqrt(torch::rand({n_first}, gen, kF64)) * (3.0 * kPi);
  const at::Tensor ux = torch::rand({n_first}, gen, kF64);
  const at::Tensor uy = torch::rand({n_first}, gen, kF64);
  const at::Tensor arm =
      at::stack({-at::cos(t) * t + 0.5 * ux, at::sin(t) * t + 0.5 * uy}, 1);
  const at::Tensor other = -arm.slice(0, 0, n / 2);
  at::Tensor x = at::cat({arm, other}, 0) / 3.0;
  x = x + 0.1 * torch::randn({n, 2}, gen, kF64);
  return Shuffle(x, gen);
}

at::Tensor GenMoons(int64_t n, at::Generator& gen) {
  const int64_t n_out = n - n / 2;
  const int64_t n_in = n / 2;
  const at::Tensor t_out = at::linspace(0.0, kPi, n_out, kF64);
  const at::Tensor t_in = at::linspace(0.0, kPi, n_in, kF64);
  const at::Tensor outer = at::stack({at::cos(t_out), at::sin(t_out)}, 1);
  const at::Tensor inner =
      at::stack({1.0 - at::cos(t_in), 0.5 - at::sin(t_in)}, 1);
  at::Tensor x = at::cat({outer, inner}, 0);
  x = x + 0.1 * torch::randn({n, 2}, gen, kF64);
  x = 2.0 * x + at::tensor({-1.0, -0.2}, kF64);
  return Shuffle(x, gen);
}

at::Tensor GenPinwheel(int64_t n, at::Generator& gen) {
  const at::Tensor k = torch::randint(0, 5, {n}, gen, kF64);
  const at::Tensor f1 = 1.0 + 0.3 * torch::randn({n}, gen, kF64);
  const at::Tensor f2 = 0.1 * torch::randn({n}, gen, kF64);
  const at::Tensor a = k * (2.0 * kPi / 5.0) + 0.25 * at::exp(f1);
  const at::Tensor c = at::cos(a);
  const at::Tensor s = at::sin(a);
  return 2.0 * at::stack({f1 * c + f2 * s, -f1 * s + f2 * c}, 1);
}

at::Tensor GenRings(int64_t n, at::Generator& gen) {
  const int64_t q = n / 4;
  const int64_t first = n - 3 * q;
  at::Tensor x =
      at::cat({Circle(OpenAngles(first), 1.0), Circle(OpenAngles(q), 0.75),
               Circle(OpenAngles(q), 0.5), Circle(OpenAngles(q), 0.25)},
              0);
  x = x * 3.0 + 0.08 * torch::randn({n, 2}, gen, kF64);
  return Shuffle(x, gen);
}

at::Tensor GenSwissroll(int64_t n, at::Generator& gen) {
  const at::Tensor t = 1.5 * kPi * (1.0 + 2.0 * torch::rand({n}, gen, kF64));
  at::Tensor x = at::stack({t * at::cos(t), t * at::sin(t)}, 1);
  x = x + torch::randn({n, 2}, gen, kF64);
  return x / 5.0;
}

at::Tensor GenCircles(int64_t n, at::Generator& gen) {
  const int64_t n_out = n - n / 2;
  const int64_t n_in = n / 2;
  at::Tensor x = at::cat(
      {Circle(OpenAngles(n_out), 1.0), Circle(OpenAngles(n_in), 0.5)}, 0);
  x = x + 0.08 * torch::randn({n, 2}, gen, kF64);
  x = x * 3.0;
  return Shuffle(x, gen);
}

bool IsRealNumeric(const at::Tensor& t) {
  const at::ScalarType s = t.scalar_type();
  return at::isFloatingType(s) ||
         (at::isIntegralType(s, /*includeBool=*/false));
}

std::string ShapeString(const at::Tensor& t) {
  return absl::StrCat("[", absl::StrJoin(t.sizes(), ", "), "]");
}

}  // namespace

std::vector<std::string> BuiltinDatasetNames() {
  return {"8gaussians", "checkerboard", "2spirals",  "moons",
          "pinwheel",   "rings",        "swissroll", "circles"};
}

absl::StatusOr<torch::Tensor> GenerateBuiltin(const std::string& name,
                                              int64_t n, uint64_t seed) {
  if (n <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("GenerateBuiltin: n must be positive, got ", n));
  }
  using Gen = at::Tensor (*)(int64_t, at::Generator&);
  Gen fn = nullptr;
  if (name == "8gaussians") {
    fn = &GenEightGaussians;
  } else if (name == "checkerboard") {
    fn = &GenCheckerboard;
  } else if (name == "2spirals") {
    fn = &GenTwoSpirals;
  } else if (name == "moons") {
    fn = &GenMoons;
  } else if (name == "pinwheel") {
    fn = &GenPinwheel;
  } else if (name == "rings") {
    fn = &GenRings;
  } else if (name == "swissroll") {
    fn = &GenSwissroll;
  } else if (name == "circles") {
    fn = &GenCircles;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "GenerateBuiltin: unknown dataset \"", name,
        "\"; valid names: ", absl::StrJoin(BuiltinDatasetNames(), ", ")));
  }
  return GuardTorch("GenerateBuiltin", [&]() -> absl::StatusOr<torch::Tensor> {
    at::Generator gen = at::detail::createCPUGenerator(seed);
    return fn(n, gen).to(at::kFloat).contiguous();
  });
}

GaussianMixture::GaussianMixture(torch::Tensor weights, torch::Tensor means,
                                 torch::Tensor stds)
    : weights_(std::move(weights)),
      means_(std::move(means)),
      stds_(std::move(stds)) {}

absl::StatusOr<GaussianMixture> GaussianMixture::Create(torch::Tensor weights,
                                                        torch::Tensor means,
                                                        torch::Tensor stds) {
  if (!weights.defined() || !means.defined() || !stds.defined()) {
    return absl::InvalidArgumentError(
        "GaussianMixture::Create: undefined tensor");
  }
  if (!IsRealNumeric(weights) || !IsRealNumeric(means) ||
      !IsRealNumeric(stds)) {
    return absl::InvalidArgumentError(
        "GaussianMixture::Create: weights, means and stds must have a real "
        "numeric dtype");
  }
  if (weights.dim() != 1 || weights.size(0) < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("GaussianMixture::Create: weights must be [K] with K >= 1,"
                     " got ",
                     ShapeString(weights)));
  }
  const int64_t k = weights.size(0);
  if (means.dim() != 2 || means.size(0) != k || means.size(1) < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("GaussianMixture::Create: means must be [K=", k,
                     ", d] with d >= 1, got ", ShapeString(means)));
  }
  if (stds.sizes() != means.sizes()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "GaussianMixture::Create: stds must have the shape of means ",
        ShapeString(means), ", got ", ShapeString(stds)));
  }
  return GuardTorch(
      "GaussianMixture::Create", [&]() -> absl::StatusOr<GaussianMixture> {
        at::Tensor w = weights.detach().to(at::kCPU, at::kDouble).contiguous();
        at::Tensor m = means.detach().to(at::kCPU, at::kDouble).contiguous();
        at::Tensor s = stds.detach().to(at::kCPU, at::kDouble).contiguous();
        if (!at::isfinite(w).all().item<bool>() ||
            !(w > 0).all().item<bool>()) {
          return absl::InvalidArgumentError(
              "GaussianMixture::Create: weights must be positive and finite");
        }
        if (!at::isfinite(m).all().item<bool>()) {
          return absl::InvalidArgumentError(
              "GaussianMixture::Create: means must be finite");
        }
        if (!at::isfinite(s).all().item<bool>() ||
            !(s > 0).all().item<bool>()) {
          return absl::InvalidArgumentError(
              "GaussianMixture::Create: stds must be positive and finite");
        }
        const double total = w.sum().item<double>();
        if (!std::isfinite(total)) {
          return absl::InvalidArgumentError(
              "GaussianMixture::Create: weights sum overflows");
        }
        w = w / total;
        return GaussianMixture(std::move(w), std::move(m), std::move(s));
      });
}

GaussianMixture GaussianMixture::EightGaussians() {
  try {
    at::Tensor means = EightGaussianCentres() / 1.414;
    at::Tensor stds = at::full({8, 2}, 0.5 / 1.414, kF64);
    at::Tensor weights = at::full({8}, 1.0 / 8.0, kF64);
    return GaussianMixture(std::move(weights), std::move(means),
                           std::move(stds));
  } catch (...) {
    return GaussianMixture(at::Tensor(), at::Tensor(), at::Tensor());
  }
}

absl::StatusOr<GaussianMixture> GaussianMixture::Random(int64_t dim,
                                                        int64_t components,
                                                        uint64_t seed) {
  if (dim <= 0 || components <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "GaussianMixture::Random: dim and components must be positive, got "
        "dim=",
        dim, ", components=", components));
  }
  return GuardTorch(
      "GaussianMixture::Random", [&]() -> absl::StatusOr<GaussianMixture> {
        at::Generator gen = at::detail::createCPUGenerator(seed);
        at::Tensor means =
            torch::rand({components, dim}, gen, kF64) * 6.0 - 3.0;
        at::Tensor stds = 0.3 + 0.5 * torch::rand({components, dim}, gen, kF64);
        at::Tensor weights =
            at::full({components}, 1.0 / static_cast<double>(components), kF64);
        return GaussianMixture(std::move(weights), std::move(means),
                               std::move(stds));
      });
}

int64_t GaussianMixture::dim() const {
  return means_.defined() ? means_.size(1) : 0;
}

int64_t GaussianMixture::num_components() const {
  return weights_.defined() ? weights_.size(0) : 0;
}

absl::StatusOr<torch::Tensor> GaussianMixture::Sample(int64_t n,
                                                      uint64_t seed) const {
  if (!weights_.defined()) {
    return absl::FailedPreconditionError("GaussianMixture::Sample: empty");
  }
  if (n <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("GaussianMixture::Sample: n must be positive, got ", n));
  }
  return GuardTorch(
      "GaussianMixture::Sample", [&]() -> absl::StatusOr<torch::Tensor> {
        at::Generator gen = at::detail::createCPUGenerator(seed);
        const at::Tensor idx =
            at::multinomial(weights_, n, /*replacement=*/true, gen);
        const at::Tensor z = torch::randn({n, dim()}, gen, kF64);
        const at::Tensor x =
            means_.index_select(0, idx) + stds_.index_select(0, idx) * z;
        return x.to(at::kFloat).contiguous();
      });
}

absl::StatusOr<torch::Tensor> GaussianMixture::LogProb(
    const torch::Tensor& x) const {
  if (!weights_.defined()) {
    return absl::FailedPreconditionError("GaussianMixture::LogProb: empty");
  }
  if (!x.defined()) {
    return absl::InvalidArgumentError(
        "GaussianMixture::LogProb: undefined input");
  }
  if (!at::isFloatingType(x.scalar_type())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "GaussianMixture::LogProb: x must have a floating dtype, got ",
        std::string(c10::toString(x.scalar_type()))));
  }
  const int64_t d = dim();
  if (x.dim() != 2 || x.size(1) != d) {
    return absl::InvalidArgumentError(absl::StrCat(
        "GaussianMixture::LogProb: x must be [n, ", d, "] (", d,
        " columns), got shape ", ShapeString(x),
        x.dim() == 2 ? absl::StrCat(" (", x.size(1), " columns)") : ""));
  }
  return GuardTorch(
      "GaussianMixture::LogProb", [&]() -> absl::StatusOr<torch::Tensor> {
        // Work on x^T [d, n] so that the broadcast ops below run along the
        // long, contiguous n axis.
        const at::Tensor xt =
            x.detach().to(at::kCPU, at::kDouble).t().contiguous();
        const int64_t n = xt.size(1);
        const int64_t k = num_components();
        // log w_k - sum log sigma_k - d/2 log(2 pi): [K, 1].
        const at::Tensor offset =
            (at::log(weights_) - at::log(stds_).sum(1) -
             0.5 * static_cast<double>(d) * std::log(2.0 * kPi))
                .unsqueeze(1);
        const at::Tensor mu = means_.unsqueeze(2);  // [K, d, 1]
        const at::Tensor sig = stds_.unsqueeze(2);  // [K, d, 1]
        const int64_t chunk = std::max<int64_t>(
            1, kLogProbChunkElements / std::max<int64_t>(1, k * d));
        std::vector<at::Tensor> parts;
        for (int64_t start = 0; start < n; start += chunk) {
          const int64_t end = std::min(n, start + chunk);
          const at::Tensor z =
              (xt.slice(1, start, end).unsqueeze(0) - mu) / sig;  // [K, d, c]
          const at::Tensor comp = offset - 0.5 * (z * z).sum(1);  // [K, c]
          parts.push_back(at::logsumexp(comp, {0}));
        }
        if (parts.empty()) return at::empty({0}, kF64);
        return at::cat(parts, 0).contiguous();
      });
}

absl::StatusOr<GaussianMixture> ParseGaussianMixtureSpec(
    const std::string& spec) {
  const std::vector<absl::string_view> parts = absl::StrSplit(spec, ':');
  int64_t dim = 0;
  int64_t components = 0;
  uint64_t seed = 0;
  if (parts.size() != 4 || parts[0] != "gmm" ||
      !absl::SimpleAtoi(parts[1], &dim) ||
      !absl::SimpleAtoi(parts[2], &components) ||
      !absl::SimpleAtoi(parts[3], &seed) || dim <= 0 || components <= 0 ||
      parts[3].empty() || parts[3][0] == '-' || parts[3][0] == '+') {
    return absl::InvalidArgumentError(absl::StrCat(
        "ParseGaussianMixtureSpec: expected \"gmm:<dim>:<components>:<seed>\""
        " with positive dim and components and a non-negative seed, got \"",
        spec, "\""));
  }
  return GaussianMixture::Random(dim, components, seed);
}

}  // namespace jkoflow
