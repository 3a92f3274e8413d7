#include "core/data_transform.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/utils.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/status_macros.h"
#include "core/torch_status.h"

namespace jkoflow {
namespace {

// A standardised feature's scale is at least kScaleFloor times the mean
// scale of all features: a feature that is (nearly) constant in training
// must not send test points to extreme coordinates.
constexpr double kScaleFloor = 1e-3;
// Covariance eigenvalues are at least kEigenFloor times their mean, for
// the same reason along directions the training data does not span.
constexpr double kEigenFloor = 1e-6;
// Rows per chunk of Forward() and the fit's passes.
constexpr int64_t kTransformChunkRows = 4096;
// The marginal step's histogram adds kMarginalPseudoCount to every level's
// count (the Krichevsky–Trofimov estimate): a level no training row has
// keeps a small, finite density.
constexpr double kMarginalPseudoCount = 0.5;

// BinEdges() gathers, for the levels k [n, dim] (int64), the marginal CDF
// [dim, levels + 1] below and above each level: {F(k), F(k + 1)}, [n, dim].
std::pair<torch::Tensor, torch::Tensor> BinEdges(const torch::Tensor& cdf,
                                                 const torch::Tensor& k) {
  const torch::Tensor kt = k.t();
  return {cdf.gather(1, kt).t(), cdf.gather(1, kt + 1).t()};
}

// ZeroDensityOutside() sets log|det| to −∞ on the rows marked `outside`.
torch::Tensor ZeroDensityOutside(const torch::Tensor& log_det,
                                 const torch::Tensor& outside) {
  return log_det.masked_fill(outside, -std::numeric_limits<double>::infinity());
}

// MarginalForward() is the marginal step on y [n, dim] (float64): z =
// Φ^{-1}(F(y)), F piecewise linear over the levels lower, lower + 1, … of
// `cdf` (the density of dequantised data is constant on each [k, k + 1));
// returns {z, Σ_i log|dz_i/dy_i| = Σ_i [log p_k − log φ(z_i)]}, −∞ for rows
// outside the levels (clamped inside them).
std::pair<torch::Tensor, torch::Tensor> MarginalForward(
    const torch::Tensor& cdf, double lower, torch::Tensor y) {
  const int64_t levels = cdf.size(1) - 1;
  y = y - lower;
  const torch::Tensor outside = ((y < 0) | (y >= levels)).any(1);
  y = y.clamp(0, std::nextafter(static_cast<double>(levels), 0.0));
  const torch::Tensor k = y.floor().to(torch::kLong).clamp(0, levels - 1);
  const torch::Tensor within = y - k;
  auto [below, above] = BinEdges(cdf, k);
  const torch::Tensor mass = above - below;
  // The tail nearer to the point, so that neither loses digits near 1.
  const torch::Tensor lower_tail = below + within * mass;
  const torch::Tensor upper_tail = (1 - above) + (1 - within) * mass;
  constexpr double kTiny = 1e-300;
  const torch::Tensor z = torch::where(
      lower_tail < 0.5, at::special_ndtri(lower_tail.clamp_min(kTiny)),
      -at::special_ndtri(upper_tail.clamp_min(kTiny)));
  const torch::Tensor log_det = (mass.log() + 0.5 * z.pow(2)).sum(1) +
                                0.5 * z.size(1) * std::log(2 * M_PI);
  return {z, ZeroDensityOutside(log_det, outside)};
}

// MarginalInverse() undoes MarginalForward(): the level k with F(k) ≤ Φ(z)
// < F(k + 1), then the point within it.
torch::Tensor MarginalInverse(const torch::Tensor& cdf, double lower,
                              const torch::Tensor& z) {
  const int64_t levels = cdf.size(1) - 1;
  const torch::Tensor c = at::special_ndtr(z);
  const torch::Tensor k =
      (torch::searchsorted(cdf, c.t().contiguous(), /*out_int32=*/false,
                           /*right=*/true) -
       1)
          .clamp(0, levels - 1)
          .t();
  auto [below, above] = BinEdges(cdf, k);
  return lower + k + ((c - below) / (above - below)).clamp(0, 1);
}

// MarginalCdfRises() is true when each row of `cdf` [dim, levels + 1] rises
// strictly from 0 to 1 (every level has mass).
bool MarginalCdfRises(const torch::Tensor& cdf) {
  const int64_t n = cdf.size(1) - 1;
  const torch::Tensor mass = cdf.narrow(1, 1, n) - cdf.narrow(1, 0, n);
  return (cdf.select(1, 0) == 0).all().item<bool>() &&
         ((cdf.select(1, n) - 1).abs() < 1e-9).all().item<bool>() &&
         (mass > 0).all().item<bool>();
}

bool* StepFlag(TransformSpec& spec, absl::string_view name) {
  if (name == "dequantize") return &spec.dequantize;
  if (name == "marginal") return &spec.marginal;
  if (name == "scale") return &spec.scale;
  if (name == "logit") return &spec.logit;
  if (name == "standardize") return &spec.standardize;
  if (name == "whiten") return &spec.whiten;
  return nullptr;
}

}  // namespace

absl::StatusOr<TransformSpec> ParseTransformSpec(absl::string_view text) {
  TransformSpec spec;
  if (text == "auto" || text.empty()) return spec;
  spec.automatic = false;
  if (text == "none") return spec;
  const auto bad = [&text]() {
    return absl::InvalidArgumentError(absl::StrCat(
        "transform: expected auto, none or a list of distinct steps from ",
        absl::StrJoin(kTransformStepNames, ","),
        " (optionally ending in project=k), got \"", text, "\""));
  };
  std::vector<absl::string_view> steps = absl::StrSplit(text, ',');
  if (absl::ConsumePrefix(&steps.back(), "project=")) {
    if (!absl::SimpleAtoi(steps.back(), &spec.project) || spec.project < 1) {
      return bad();
    }
    steps.pop_back();
  }
  for (absl::string_view step : steps) {
    bool* flag = StepFlag(spec, step);
    if (flag == nullptr || *flag) return bad();
    *flag = true;
  }
  if (spec.logit && !spec.scale) {
    return absl::InvalidArgumentError(
        "transform: logit needs scale (the logit is of values in [0, 1])");
  }
  if (spec.marginal && (!spec.dequantize || spec.scale)) {
    return absl::InvalidArgumentError(
        "transform: marginal needs dequantize and excludes scale and logit "
        "(its histogram is over the integer levels)");
  }
  if (spec.project > 0 && !spec.whiten) {
    return absl::InvalidArgumentError(
        "transform: project needs whiten (it keeps principal directions of "
        "the whitened data)");
  }
  return spec;
}

std::string TransformSpecName(const TransformSpec& spec) {
  if (spec.automatic) return "auto";
  std::vector<std::string> steps;
  TransformSpec copy = spec;
  for (const char* name : kTransformStepNames) {
    if (*StepFlag(copy, name)) steps.push_back(name);
  }
  if (spec.project > 0) steps.push_back(absl::StrCat("project=", spec.project));
  return steps.empty() ? "none" : absl::StrJoin(steps, ",");
}

bool DataTransform::Identity() const {
  const TransformSpec& s = params_.steps;
  return !(s.dequantize || s.marginal || s.scale || s.logit || s.standardize ||
           s.whiten);
}

TransformSpec DataTransform::Steps() const { return params_.steps; }

std::string DataTransform::Describe() const {
  if (Identity()) return "none";
  const TransformSpec& s = params_.steps;
  std::vector<std::string> parts;
  if (s.dequantize) parts.push_back("dequantize");
  if (s.marginal) {
    parts.push_back(
        absl::StrFormat("marginal [%g, %g)", params_.lower, params_.upper));
  }
  if (s.scale) {
    parts.push_back(
        absl::StrFormat("scale [%g, %g)", params_.lower, params_.upper));
  }
  if (s.logit) parts.push_back(absl::StrFormat("logit α=%g", s.logit_alpha));
  if (s.standardize) parts.push_back("standardize");
  if (s.whiten) parts.push_back("whiten");
  if (s.project > 0) {
    parts.push_back(absl::StrFormat("project %d of %d", s.project, dim_));
  }
  return absl::StrJoin(parts, ", ");
}

namespace {

// TransformError() is INVALID_ARGUMENT "transform: <what>".
absl::Status TransformError(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("transform: ", what));
}

// CheckScalarParameters() checks FromParameters()' scalars and shape: the
// steps' combinations, bounds, α and the item shape.
absl::Status CheckScalarParameters(const DataTransform::Parameters& p) {
  const auto bad = TransformError;
  const TransformSpec& s = p.steps;
  if (p.dim < 1) return bad("dim must be at least 1");
  if (s.logit && !s.scale) return bad("logit needs scale");
  if (s.scale && !(std::isfinite(p.lower) && std::isfinite(p.upper) &&
                   p.lower < p.upper)) {
    return bad("scale: needs finite lower < upper");
  }
  if (s.logit && !(s.logit_alpha > 0 && s.logit_alpha < 0.5)) {
    return bad("logit: alpha must be in (0, 0.5)");
  }
  // (Fitting the marginal step needs integer data, but the fitted map is
  // defined on all of [lower, upper): without dequantize it maps continuous
  // values, as the tests of its Jacobian use it.)
  if (s.marginal && s.scale) return bad("marginal excludes scale");
  if (s.project < 0 || s.project > p.dim || (s.project > 0 && !s.whiten)) {
    return bad("project: needs whiten and 0 ≤ k ≤ dim");
  }
  if (s.marginal && !MarginalLevelsValid(p.lower, p.upper)) {
    return bad(absl::StrCat("marginal: needs integer lower < upper, at most ",
                            kMaxMarginalLevels, " levels apart"));
  }
  int64_t shape_size = 1;
  for (int64_t extent : p.item_shape) {
    if (extent < 1 || extent > p.dim) return bad("shape: bad extent");
    shape_size *= extent;
  }
  if (!p.item_shape.empty() && shape_size != p.dim) {
    return bad("shape: its product must equal dim");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DataTransform> DataTransform::FromParameters(Parameters p) {
  const auto bad = TransformError;
  const TransformSpec& s = p.steps;
  RETURN_IF_ERROR(CheckScalarParameters(p));
  const auto check = [&](const torch::Tensor& t, std::vector<int64_t> shape,
                         bool positive, const char* name) -> absl::Status {
    if (!t.defined() || t.sizes().vec() != shape ||
        t.scalar_type() != torch::kFloat64) {
      return bad(absl::StrCat(name, ": wrong shape or type"));
    }
    if (!torch::isfinite(t).all().item<bool>() ||
        (positive && !(t > 0).all().item<bool>())) {
      return bad(absl::StrCat(name, ": values must be finite",
                              positive ? " and positive" : ""));
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(GuardTorch([&]() -> absl::Status {
    if (s.standardize) {
      RETURN_IF_ERROR(check(p.mean, {p.dim}, false, "standardize.mean"));
      RETURN_IF_ERROR(check(p.scale, {p.dim}, true, "standardize.scale"));
    }
    if (s.marginal) {
      const int64_t levels = static_cast<int64_t>(p.upper - p.lower);
      RETURN_IF_ERROR(
          check(p.marginal_cdf, {p.dim, levels + 1}, false, "marginal.cdf"));
      if (!MarginalCdfRises(p.marginal_cdf)) {
        return bad("marginal.cdf: must rise strictly from 0 to 1");
      }
    }
    if (s.whiten) {
      RETURN_IF_ERROR(check(p.white_mean, {p.dim}, false, "whiten.mean"));
      RETURN_IF_ERROR(check(p.basis, {p.dim, p.dim}, false, "whiten.basis"));
      RETURN_IF_ERROR(
          check(p.eigenvalues, {p.dim}, true, "whiten.eigenvalues"));
    }
    return absl::OkStatus();
  }));
  DataTransform transform;
  transform.dim_ = p.dim;
  transform.dequantize_ = s.dequantize;
  transform.params_ = std::move(p);
  transform.params_.steps.automatic = false;
  return transform;
}

absl::Status DataTransform::SetItemShape(std::vector<int64_t> shape) {
  int64_t size = 1;
  for (int64_t extent : shape) {
    if (extent < 1 || extent > std::max<int64_t>(dim_, 1)) {
      size = -1;
      break;
    }
    size *= extent;
  }
  if (!shape.empty() && size != dim_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "shape: the product of its extents must be the dimension ", dim_));
  }
  params_.item_shape = std::move(shape);
  return absl::OkStatus();
}

namespace {

// SplitMix64's output function (Steele, Lea and Flood 2014).
uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

}  // namespace

bool MarginalLevelsValid(double lower, double upper) {
  const double levels = upper - lower;
  return std::isfinite(lower) && lower == std::floor(lower) &&
         levels == std::floor(levels) && levels >= 1 &&
         levels <= kMaxMarginalLevels;
}

torch::Tensor DequantizationNoise(const torch::Tensor& x_in, uint64_t seed) {
  const torch::Tensor x = x_in.to(torch::kCPU, torch::kFloat64).contiguous();
  torch::Tensor u = torch::empty_like(x);
  const int64_t n = x.size(0), d = x.size(1);
  const double* in = x.data_ptr<double>();
  double* out = u.data_ptr<double>();
  at::parallel_for(0, n, 64, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const double* row = in + i * d;
      uint64_t state = Mix(seed + kGolden);
      for (int64_t j = 0; j < d; ++j) {
        uint64_t bits;
        std::memcpy(&bits, &row[j], sizeof(bits));
        state = Mix(state ^ (bits + kGolden));
      }
      for (int64_t j = 0; j < d; ++j) {
        state += kGolden;
        // The top 53 bits as a double in [0, 1).
        out[i * d + j] = static_cast<double>(Mix(state) >> 11) * 0x1.0p-53;
      }
    }
  });
  return u;
}

std::pair<torch::Tensor, torch::Tensor> DataTransform::ForwardRows(
    const torch::Tensor& x, uint64_t dequantize_seed) const {
  const TransformSpec& s = params_.steps;
  torch::Tensor y = x.to(torch::kFloat64);
  torch::Tensor log_det = torch::zeros({y.size(0)}, y.options());
  if (s.dequantize) {
    y = y + DequantizationNoise(y, dequantize_seed).to(y.device());
  }
  if (s.marginal) {
    auto [z, marginal_log_det] =
        MarginalForward(params_.marginal_cdf.to(y.device()), params_.lower, y);
    y = z;
    log_det = log_det + marginal_log_det;
  }
  if (s.scale) {
    const double width = params_.upper - params_.lower;
    y = (y - params_.lower) / width;
    // Outside [0, 1) the density is zero.
    const torch::Tensor outside = ((y < 0) | (y >= 1)).any(1);
    log_det =
        ZeroDensityOutside(log_det - y.size(1) * std::log(width), outside);
    y = y.clamp(0, std::nextafter(1.0, 0.0));
  }
  if (s.logit) {
    const double a = s.logit_alpha;
    const torch::Tensor p = a + (1 - 2 * a) * y;
    y = torch::log(p) - torch::log1p(-p);
    log_det = log_det +
              (std::log(1 - 2 * a) - torch::log(p) - torch::log1p(-p)).sum(1);
  }
  if (s.standardize) {
    const torch::Tensor scale = params_.scale.to(y.device());
    y = (y - params_.mean.to(y.device())) / scale;
    log_det = log_det - scale.log().sum();
  }
  if (s.whiten) {
    const torch::Tensor basis = params_.basis.to(y.device());
    const torch::Tensor root = params_.eigenvalues.to(y.device()).rsqrt();
    // Σ^{-1/2} = U diag(λ^{-1/2}) Uᵀ (the symmetric, "ZCA", root keeps
    // each coordinate near its own feature); with a projection, the
    // principal coordinates diag(λ^{-1/2}) Uᵀ, largest λ first (eigh sorts
    // them ascending). Both have the same |det|.
    y = torch::matmul(y - params_.white_mean.to(y.device()), basis) * root;
    y = s.project > 0 ? y.flip(1) : torch::matmul(y, basis.t());
    log_det = log_det + root.log().sum();
  }
  return {y, log_det};
}

absl::StatusOr<std::pair<torch::Tensor, torch::Tensor>> DataTransform::Forward(
    const torch::Tensor& x, uint64_t dequantize_seed,
    torch::ScalarType out_dtype) const {
  return GuardTorch(
      [&]() -> absl::StatusOr<std::pair<torch::Tensor, torch::Tensor>> {
        torch::NoGradGuard no_grad;
        if (Identity()) {
          return std::make_pair(
              x.to(out_dtype),
              torch::zeros({x.size(0)}, x.options().dtype(torch::kFloat64)));
        }
        if (x.dim() != 2 || dim_ != x.size(1)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "points: expected ", dim_, " columns, got ", x.size(-1)));
        }
        // Row chunks bound the float64 temporaries (images: 784 columns).
        torch::Tensor y = torch::empty(x.sizes(), x.options().dtype(out_dtype));
        torch::Tensor log_det =
            torch::empty({x.size(0)}, x.options().dtype(torch::kFloat64));
        for (int64_t begin = 0; begin < x.size(0);
             begin += kTransformChunkRows) {
          const int64_t rows = std::min(kTransformChunkRows, x.size(0) - begin);
          auto [part, part_log_det] =
              ForwardRows(x.narrow(0, begin, rows), dequantize_seed);
          y.narrow(0, begin, rows).copy_(part);
          log_det.narrow(0, begin, rows).copy_(part_log_det);
        }
        return std::make_pair(y, log_det);
      });
}

absl::StatusOr<torch::Tensor> DataTransform::Inverse(
    const torch::Tensor& y_in) const {
  return GuardTorch([&]() -> absl::StatusOr<torch::Tensor> {
    torch::NoGradGuard no_grad;
    const TransformSpec& s = params_.steps;
    torch::Tensor y = y_in.to(torch::kFloat64);
    if (Identity()) return y;
    if (s.whiten) {
      const torch::Tensor basis = params_.basis.to(y.device());
      const torch::Tensor root = params_.eigenvalues.to(y.device()).sqrt();
      const torch::Tensor principal =
          s.project > 0 ? y.flip(1) : torch::matmul(y, basis);
      y = torch::matmul(principal * root, basis.t()) +
          params_.white_mean.to(y.device());
    }
    if (s.standardize) {
      y = y * params_.scale.to(y.device()) + params_.mean.to(y.device());
    }
    if (s.logit) {
      const double a = s.logit_alpha;
      y = (torch::sigmoid(y) - a) / (1 - 2 * a);
    }
    if (s.scale) {
      y = y.clamp(0, 1) * (params_.upper - params_.lower) + params_.lower;
    }
    if (s.marginal) {
      y = MarginalInverse(params_.marginal_cdf.to(y.device()), params_.lower,
                          y);
    }
    if (s.dequantize) {
      y = torch::floor(y);
      if (s.scale || s.marginal) {
        y = y.clamp(params_.lower, params_.upper - 1);
      }
    }
    return y;
  });
}

namespace {

// MarginalRange() is the marginal step's levels [lower, upper) for training
// data in [min, max]: the range widened by 5 % of it (at least one level)
// on each side, so that test points just beyond it keep a density; but
// non-negative data stays non-negative and bytes stay in [0, 255].
std::pair<double, double> MarginalRange(double min, double max) {
  const double margin = std::ceil(0.05 * (max - min + 1));
  double lower = min - margin, upper = max + 1 + margin;
  if (min >= 0) lower = std::max(lower, 0.0);
  if (min >= 0 && max <= 255) upper = std::min(upper, 256.0);
  return {lower, upper};
}

// MarginalLevels() is the number of levels of the marginal step's table.
double MarginalLevels(double min, double max) {
  const auto [lower, upper] = MarginalRange(min, max);
  return upper - lower;
}

// FitMarginal() sets p.lower, p.upper and p.marginal_cdf from the integer
// rows x [n, dim] (values in [min, max]): the table spans MarginalRange()
// of all the data; per feature, the histogram of the levels plus
// kMarginalPseudoCount on each level of the feature's own MarginalRange()
// and kMarginalPseudoCount shared by the table's other levels (a binary
// feature beside one over 0 … 1000 keeps nearly all its mass on 0 and 1),
// cumulated and normalised.
void FitMarginal(const torch::Tensor& x, double min, double max,
                 DataTransform::Parameters& p) {
  std::tie(p.lower, p.upper) = MarginalRange(min, max);
  const int64_t levels = static_cast<int64_t>(p.upper - p.lower);
  const torch::Tensor mins = std::get<0>(x.min(0)).to(torch::kFloat64);
  const torch::Tensor maxs = std::get<0>(x.max(0)).to(torch::kFloat64);
  torch::Tensor own_lower = torch::empty({p.dim, 1}, torch::kFloat64);
  torch::Tensor own_upper = torch::empty({p.dim, 1}, torch::kFloat64);
  for (int64_t j = 0; j < p.dim; ++j) {
    const auto [lower, upper] =
        MarginalRange(mins[j].item<double>(), maxs[j].item<double>());
    own_lower[j][0] = lower;
    own_upper[j][0] = upper;
  }
  const torch::Tensor grid =
      torch::arange(levels, torch::kFloat64).unsqueeze(0) + p.lower;
  const torch::Tensor own = (grid >= own_lower) & (grid < own_upper);
  const torch::Tensor others =
      (levels - own.sum(1, /*keepdim=*/true)).to(torch::kFloat64).clamp_min(1);
  const torch::Tensor pseudo =
      torch::where(own, torch::full({}, kMarginalPseudoCount, torch::kFloat64),
                   kMarginalPseudoCount / others);
  torch::Tensor counts = torch::zeros({p.dim, levels}, torch::kFloat64);
  for (int64_t begin = 0; begin < x.size(0); begin += kTransformChunkRows) {
    const int64_t rows = std::min(kTransformChunkRows, x.size(0) - begin);
    const torch::Tensor k =
        (x.narrow(0, begin, rows).to(torch::kFloat64) - p.lower)
            .to(torch::kLong)
            .t()
            .contiguous();
    counts.scatter_add_(1, k, torch::ones(k.sizes(), torch::kFloat64));
  }
  const torch::Tensor cumulative = torch::cumsum(counts + pseudo, 1);
  p.marginal_cdf =
      torch::cat({torch::zeros({p.dim, 1}, torch::kFloat64),
                  cumulative / cumulative.narrow(1, levels - 1, 1)},
                 1)
          .contiguous();
  // Exactly 1 at the top, whatever the division's rounding.
  p.marginal_cdf.select(1, levels).fill_(1.0);
}

// ChosenSteps() resolves an automatic spec from the data's range and
// integrality (FitTransform() says how).
absl::StatusOr<TransformSpec> ChosenSteps(TransformSpec spec, int64_t dim,
                                          double min, double max,
                                          bool integer) {
  if (spec.automatic) {
    spec.automatic = false;
    spec.dequantize = spec.whiten = integer;
    spec.marginal = integer && MarginalLevels(min, max) <= kMaxMarginalLevels;
    spec.standardize = integer && !spec.marginal;
    spec.project = integer && dim > kAutoProjectDims ? kAutoProjectDims : 0;
  }
  if (spec.project > dim) {
    return absl::InvalidArgumentError(
        absl::StrCat("transform: project=", spec.project,
                     " is more than the data's ", dim, " dimensions"));
  }
  if (spec.dequantize && !integer) {
    return absl::InvalidArgumentError(
        "transform: dequantize needs integer-valued data");
  }
  if (spec.marginal && MarginalLevels(min, max) > kMaxMarginalLevels) {
    return absl::InvalidArgumentError(
        absl::StrCat("transform: marginal needs at most ", kMaxMarginalLevels,
                     " integer levels (margins included); the data spans ", min,
                     " to ", max));
  }
  return spec;
}

// ScaleBounds() sets p.lower and p.upper for the scale step.
void ScaleBounds(double min, double max, DataTransform::Parameters& p) {
  if (p.steps.dequantize) {
    // Integers from 0 (or the minimum, when negative) to max: the
    // dequantised values fill [lower, max + 1).
    p.lower = std::min(0.0, min);
    p.upper = max + 1;
  } else {
    // Continuous bounded data: the observed range, widened by 1 % on each
    // side so that test points just beyond it keep a density.
    const double margin = 0.01 * std::max(max - min, 1e-12);
    p.lower = min - margin;
    p.upper = max + margin;
  }
}

// RowPass visits x mapped by a partial transform, chunk by chunk, with the
// dequantisation noise of the final mapping (the same seed).
using RowPass = std::function<absl::Status(
    const DataTransform::Parameters& steps,
    const std::function<void(const torch::Tensor&)>& visit)>;

// FitStandardize() sets p.mean and p.scale from the rows `pass` maps with
// `steps` (the steps before standardisation).
absl::Status FitStandardize(const RowPass& pass,
                            const DataTransform::Parameters& steps, int64_t n,
                            DataTransform::Parameters& p) {
  torch::Tensor sum = torch::zeros({p.dim}, torch::kFloat64);
  torch::Tensor squares = torch::zeros({p.dim}, torch::kFloat64);
  RETURN_IF_ERROR(pass(steps, [&](const torch::Tensor& y) {
    sum += y.sum(0);
    squares += y.pow(2).sum(0);
  }));
  p.mean = sum / n;
  const torch::Tensor std =
      ((squares - n * p.mean.pow(2)) / (n - 1)).clamp_min(0).sqrt();
  const double floor = std::max(kScaleFloor * std.mean().item<double>(), 1e-12);
  p.scale = std.clamp_min(floor);
  return absl::OkStatus();
}

// FitWhiten() sets p.white_mean, p.eigenvalues and p.basis from the rows
// `pass` maps with `steps` (the steps before whitening).
absl::Status FitWhiten(const RowPass& pass,
                       const DataTransform::Parameters& steps, int64_t n,
                       DataTransform::Parameters& p) {
  torch::Tensor sum = torch::zeros({p.dim}, torch::kFloat64);
  torch::Tensor products = torch::zeros({p.dim, p.dim}, torch::kFloat64);
  RETURN_IF_ERROR(pass(steps, [&](const torch::Tensor& y) {
    sum += y.sum(0);
    products += torch::matmul(y.t(), y);
  }));
  p.white_mean = sum / n;
  const torch::Tensor cov =
      (products - n * torch::outer(p.white_mean, p.white_mean)) / (n - 1);
  auto [eigenvalues, basis] = torch::linalg_eigh(cov);
  const double floor =
      std::max(kEigenFloor * eigenvalues.mean().item<double>(), 1e-12);
  p.eigenvalues = eigenvalues.clamp_min(floor).contiguous();
  p.basis = basis.contiguous();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DataTransform> FitTransform(const TransformSpec& spec_in,
                                           const torch::Tensor& x_in,
                                           uint64_t seed,
                                           torch::Tensor* transformed) {
  if (!x_in.defined() || x_in.dim() != 2 || x_in.size(0) < 2 ||
      x_in.size(1) < 1) {
    return absl::InvalidArgumentError(
        "transform: needs a matrix of at least 2 rows to fit");
  }
  return GuardTorch([&]() -> absl::StatusOr<DataTransform> {
    torch::NoGradGuard no_grad;
    const torch::Tensor x = x_in.to(torch::kCPU);
    const double min = x.min().item<double>();
    const double max = x.max().item<double>();
    const bool integer = (x == torch::round(x)).all().item<bool>();
    DataTransform::Parameters p;
    p.dim = x.size(1);
    ASSIGN_OR_RETURN(p.steps, ChosenSteps(spec_in, p.dim, min, max, integer));
    if (p.steps.scale) ScaleBounds(min, max, p);
    if (p.steps.marginal) FitMarginal(x, min, max, p);
    // Each statistic is fitted on the data as the earlier steps leave it.
    const int64_t n = x.size(0);
    const RowPass pass =
        [&](const DataTransform::Parameters& steps,
            const std::function<void(const torch::Tensor&)>& visit)
        -> absl::Status {
      ASSIGN_OR_RETURN(DataTransform partial,
                       DataTransform::FromParameters(steps));
      for (int64_t begin = 0; begin < n; begin += kTransformChunkRows) {
        const int64_t rows = std::min(kTransformChunkRows, n - begin);
        visit(partial.ForwardRows(x.narrow(0, begin, rows), seed).first);
      }
      return absl::OkStatus();
    };
    DataTransform::Parameters steps = p;
    steps.steps.standardize = steps.steps.whiten = false;
    steps.steps.project = 0;
    if (p.steps.standardize) {
      RETURN_IF_ERROR(FitStandardize(pass, steps, n, p));
      steps.steps.standardize = true;
      steps.mean = p.mean;
      steps.scale = p.scale;
    }
    if (p.steps.whiten) RETURN_IF_ERROR(FitWhiten(pass, steps, n, p));
    p.item_shape = spec_in.item_shape;
    ASSIGN_OR_RETURN(DataTransform transform,
                     DataTransform::FromParameters(std::move(p)));
    if (transformed != nullptr) {
      ASSIGN_OR_RETURN(auto out, transform.Forward(x, seed, torch::kFloat32));
      *transformed = out.first.contiguous();
    }
    return transform;
  });
}

double BitsPerDim(const torch::Tensor& log_prob, int64_t dim) {
  return -log_prob.to(torch::kFloat64).mean().item<double>() /
         (static_cast<double>(dim) * std::log(2.0));
}

}  // namespace jkoflow
