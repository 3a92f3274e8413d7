#include "core/evaluation.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <iterator>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "base/status_macros.h"
#include "core/torch_status.h"

namespace jkoflow {
namespace {

// Elements of the [chunk, m, d] temporary in ExactSquaredDistances.
constexpr int64_t kChunkElements = int64_t{1} << 22;

std::string ShapeString(const at::Tensor& t) {
  return absl::StrCat("[", absl::StrJoin(t.sizes(), ", "), "]");
}

// Checks that `x` is a defined, real-valued, 2-D tensor (shape only; may
// throw nothing).
absl::Status CheckMatrix(absl::string_view where, absl::string_view name,
                         const at::Tensor& x) {
  if (!x.defined()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", name, " is undefined"));
  }
  const at::ScalarType s = x.scalar_type();
  if (!at::isFloatingType(s) && !at::isIntegralType(s, /*includeBool=*/false)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", name, " must have a real dtype, got ",
                     std::string(c10::toString(s))));
  }
  if (x.dim() != 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": ", name, " must be 2-D, got shape ", ShapeString(x)));
  }
  return absl::OkStatus();
}

// Converts to a contiguous float64 CPU tensor without gradient and checks
// finiteness. May throw (callers run it under Guarded).
absl::StatusOr<at::Tensor> ToFiniteCpuDouble(absl::string_view where,
                                             absl::string_view name,
                                             const at::Tensor& x) {
  at::Tensor out = x.detach().to(at::kCPU, at::kDouble).contiguous();
  if (out.numel() > 0 && !at::isfinite(out).all().item<bool>()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", name, " has non-finite entries"));
  }
  return out;
}

// Returns `max_points` random rows of x (seeded), or x itself if it has at
// most that many.
at::Tensor Subsample(const at::Tensor& x, int64_t max_points, uint64_t seed) {
  const int64_t n = x.size(0);
  if (n <= max_points) return x;
  at::Generator gen = at::detail::createCPUGenerator(seed);
  const at::Tensor perm = torch::randperm(n, gen, at::kLong);
  return x.index_select(0, perm.slice(0, 0, max_points));
}

// Mean of exp(scale * |a_i - b_j|^2) over all pairs.
// Bandwidths of GaussianMmd(), as multiples of the median pairwise distance.
constexpr double kMmdBandwidths[] = {0.1, 0.2, 0.5, 1.0, 2.0};

double MeanKernel(const at::Tensor& a, const at::Tensor& b, double scale) {
  return GramSquaredDistances(a, b).mul_(scale).exp_().mean().item<double>();
}

// Squared distances computed from explicit differences (exact up to
// rounding of each term): [n, m]. a, b float64.
at::Tensor ExactSquaredDistances(const at::Tensor& a, const at::Tensor& b) {
  const int64_t n = a.size(0);
  const int64_t m = b.size(0);
  const int64_t d = std::max<int64_t>(1, a.size(1));
  const int64_t chunk =
      std::max<int64_t>(1, kChunkElements / std::max<int64_t>(1, m * d));
  std::vector<at::Tensor> parts;
  for (int64_t start = 0; start < n; start += chunk) {
    const int64_t end = std::min(n, start + chunk);
    const at::Tensor diff =
        a.slice(0, start, end).unsqueeze(1) - b.unsqueeze(0);
    parts.push_back((diff * diff).sum(2));
  }
  if (parts.empty()) return at::zeros({0, m}, a.options());
  return at::cat(parts, 0);
}

// Median pairwise distance of the rows of a float64 CPU matrix with n >= 2.
double MedianOfPairs(const at::Tensor& x) {
  const int64_t n = x.size(0);
  const at::Tensor d2 = GramSquaredDistances(x, x);
  const double* data = d2.data_ptr<double>();
  std::vector<double> v;
  v.reserve(static_cast<size_t>(n * (n - 1) / 2));
  for (int64_t i = 0; i < n; ++i) {
    v.insert(v.end(), data + i * n + i + 1, data + (i + 1) * n);
  }
  const int64_t p = static_cast<int64_t>(v.size());
  auto mid = v.begin() + p / 2;
  std::nth_element(v.begin(), mid, v.end());
  const double upper = std::sqrt(*mid);
  if (p % 2 == 1) return upper;
  const double lower = std::sqrt(*std::max_element(v.begin(), mid));
  return 0.5 * (lower + upper);
}

// Jonker-Volgenant / Hungarian shortest augmenting path algorithm with
// potentials on a dense n x n row-major cost. Returns perm[row] = column.
std::vector<int64_t> SolveAssignment(const double* a, int64_t n) {
  const double inf = std::numeric_limits<double>::infinity();
  // 1-based arrays; index 0 is a sentinel column.
  std::vector<double> u(n + 1, 0.0), v(n + 1, 0.0), minv(n + 1);
  std::vector<int64_t> p(n + 1, 0), way(n + 1, 0);
  std::vector<char> used(n + 1);
  for (int64_t i = 1; i <= n; ++i) {
    p[0] = i;
    int64_t j0 = 0;
    std::fill(minv.begin(), minv.end(), inf);
    std::fill(used.begin(), used.end(), 0);
    do {
      used[j0] = 1;
      const int64_t i0 = p[j0];
      const double* row = a + (i0 - 1) * n;
      double delta = inf;
      int64_t j1 = 0;
      for (int64_t j = 1; j <= n; ++j) {
        if (used[j]) continue;
        const double cur = row[j - 1] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (int64_t j = 0; j <= n; ++j) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {
      const int64_t j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int64_t> perm(n, -1);
  for (int64_t j = 1; j <= n; ++j) perm[p[j] - 1] = j - 1;
  return perm;
}

}  // namespace

at::Tensor GramSquaredDistances(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor a2 = (a * a).sum(1, /*keepdim=*/true);      // [n, 1]
  const at::Tensor b2 = (b * b).sum(1, /*keepdim=*/true).t();  // [1, m]
  return at::addmm(a2 + b2, a, b.t(), /*beta=*/1.0, /*alpha=*/-2.0)
      .clamp_min_(0.0)
      .contiguous();
}

absl::StatusOr<double> MedianPairwiseDistance(const torch::Tensor& x,
                                              int64_t max_points,
                                              uint64_t seed) {
  constexpr absl::string_view kWhere = "MedianPairwiseDistance";
  RETURN_IF_ERROR(CheckMatrix(kWhere, "x", x));
  if (x.size(0) < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        kWhere, ": need at least 2 rows, got shape ", ShapeString(x)));
  }
  if (max_points < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(kWhere, ": max_points must be >= 2, got ", max_points));
  }
  return GuardTorch(kWhere, [&]() -> absl::StatusOr<double> {
    ASSIGN_OR_RETURN(at::Tensor xd, ToFiniteCpuDouble(kWhere, "x", x));
    return MedianOfPairs(Subsample(xd, max_points, seed));
  });
}

absl::StatusOr<double> GaussianMmd(const torch::Tensor& x,
                                   const torch::Tensor& y, uint64_t seed,
                                   int64_t max_points) {
  constexpr absl::string_view kWhere = "GaussianMmd";
  RETURN_IF_ERROR(CheckMatrix(kWhere, "x", x));
  RETURN_IF_ERROR(CheckMatrix(kWhere, "y", y));
  if (x.size(1) != y.size(1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        kWhere, ": x and y must have the same number of columns, got ",
        x.size(1), " and ", y.size(1)));
  }
  if (x.size(0) == 0 || y.size(0) == 0 || x.size(1) == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(kWhere, ": empty input, shapes ", ShapeString(x), " and ",
                     ShapeString(y)));
  }
  if (max_points < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(kWhere, ": max_points must be >= 1, got ", max_points));
  }
  return GuardTorch(kWhere, [&]() -> absl::StatusOr<double> {
    ASSIGN_OR_RETURN(at::Tensor xd, ToFiniteCpuDouble(kWhere, "x", x));
    ASSIGN_OR_RETURN(at::Tensor yd, ToFiniteCpuDouble(kWhere, "y", y));
    xd = Subsample(xd, max_points, seed);
    yd = Subsample(yd, max_points, seed + 1);
    const at::Tensor pooled = Subsample(
        at::cat({xd, yd}, 0), std::max<int64_t>(2, max_points), seed + 2);
    const double median = MedianOfPairs(pooled);
    if (!(median > 0.0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          kWhere, ": degenerate samples (median pairwise distance is 0)"));
    }
    // The unbiased U-statistic: k(a, a) = 1 leaves the within-sample means
    // (the V-statistic's bias of about 2/n, as large as the MMD of good
    // and bad models alike at n = 2,000), averaged over bandwidths.
    const int64_t n = xd.size(0), m = yd.size(0);
    if (n < 2 || m < 2) {
      return absl::InvalidArgumentError(
          absl::StrCat(kWhere, ": needs at least 2 points in each sample"));
    }
    const auto within = [](const at::Tensor& a, double scale) {
      const double rows = static_cast<double>(a.size(0));
      return (MeanKernel(a, a, scale) * rows * rows - rows) /
             (rows * (rows - 1));
    };
    double total = 0;
    for (const double multiple : kMmdBandwidths) {
      const double sigma = multiple * median;
      const double scale = -1.0 / (2.0 * sigma * sigma);
      total += within(xd, scale) + within(yd, scale) -
               2.0 * MeanKernel(xd, yd, scale);
    }
    return total / std::size(kMmdBandwidths);
  });
}

absl::StatusOr<std::vector<int64_t>> ExactOtAssignment(
    const torch::Tensor& cost) {
  constexpr absl::string_view kWhere = "ExactOtAssignment";
  RETURN_IF_ERROR(CheckMatrix(kWhere, "cost", cost));
  if (cost.size(0) != cost.size(1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        kWhere, ": cost must be square, got shape ", ShapeString(cost)));
  }
  return GuardTorch(kWhere, [&]() -> absl::StatusOr<std::vector<int64_t>> {
    ASSIGN_OR_RETURN(at::Tensor c, ToFiniteCpuDouble(kWhere, "cost", cost));
    return SolveAssignment(c.data_ptr<double>(), c.size(0));
  });
}

absl::StatusOr<double> W2Distance(const torch::Tensor& x,
                                  const torch::Tensor& y) {
  constexpr absl::string_view kWhere = "W2Distance";
  RETURN_IF_ERROR(CheckMatrix(kWhere, "x", x));
  RETURN_IF_ERROR(CheckMatrix(kWhere, "y", y));
  if (x.sizes() != y.sizes()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kWhere, ": x and y must have the same shape, got ",
                     ShapeString(x), " and ", ShapeString(y)));
  }
  if (x.size(0) == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(kWhere, ": empty input, shape ", ShapeString(x)));
  }
  return GuardTorch(kWhere, [&]() -> absl::StatusOr<double> {
    ASSIGN_OR_RETURN(at::Tensor xd, ToFiniteCpuDouble(kWhere, "x", x));
    ASSIGN_OR_RETURN(at::Tensor yd, ToFiniteCpuDouble(kWhere, "y", y));
    const at::Tensor cost = ExactSquaredDistances(xd, yd).contiguous();
    const int64_t n = xd.size(0);
    const std::vector<int64_t> perm =
        SolveAssignment(cost.data_ptr<double>(), n);
    const at::Tensor idx =
        at::tensor(perm, at::TensorOptions().dtype(at::kLong).device(at::kCPU));
    const at::Tensor diff = xd - yd.index_select(0, idx);
    const double mean_sq = (diff * diff).sum(1).mean().item<double>();
    return std::sqrt(mean_sq);
  });
}

}  // namespace jkoflow
