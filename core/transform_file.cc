#include "core/transform_file.h"

#include <ATen/ATen.h>

#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/torch_status.h"

namespace jkoflow {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the transform file is little-endian float64");

// Arrays() lists the parameter tensors of the steps, in file order.
std::vector<torch::Tensor*> Arrays(DataTransform::Parameters& p) {
  std::vector<torch::Tensor*> arrays;
  if (p.steps.marginal) arrays.push_back(&p.marginal_cdf);
  if (p.steps.standardize) {
    arrays.push_back(&p.mean);
    arrays.push_back(&p.scale);
  }
  if (p.steps.whiten) {
    arrays.push_back(&p.white_mean);
    arrays.push_back(&p.eigenvalues);
    arrays.push_back(&p.basis);
  }
  return arrays;
}

// Shape() is the shape `t` (one of Arrays(p)) has in the file.
std::vector<int64_t> Shape(const DataTransform::Parameters& p,
                           const torch::Tensor* t) {
  if (t == &p.basis) return {p.dim, p.dim};
  if (t == &p.marginal_cdf) {
    return {p.dim, static_cast<int64_t>(p.upper - p.lower) + 1};
  }
  return {p.dim};
}

}  // namespace

bool HasTransformArrays(const TransformSpec& steps) {
  return steps.marginal || steps.standardize || steps.whiten;
}

std::string SerializeTransformArrays(const DataTransform::Parameters& params) {
  DataTransform::Parameters copy = params;
  std::string bytes;
  for (torch::Tensor* t : Arrays(copy)) {
    const torch::Tensor values =
        t->to(torch::kCPU, torch::kFloat64).contiguous();
    bytes.append(reinterpret_cast<const char*>(values.data_ptr<double>()),
                 values.numel() * sizeof(double));
  }
  return bytes;
}

absl::Status DeserializeTransformArrays(const std::string& bytes,
                                        const std::string& file,
                                        DataTransform::Parameters& params) {
  const int64_t d = params.dim;
  if (params.steps.marginal &&
      !MarginalLevelsValid(params.lower, params.upper)) {
    return absl::DataLossError(
        absl::StrCat(file, ": the marginal step's levels are out of range"));
  }
  std::vector<torch::Tensor*> arrays = Arrays(params);
  size_t expected = 0;
  for (torch::Tensor* t : arrays) {
    int64_t size = 1;
    for (int64_t extent : Shape(params, t)) size *= extent;
    expected += size * sizeof(double);
  }
  if (d < 1 || bytes.size() != expected) {
    return absl::DataLossError(absl::StrCat(file, ": ", bytes.size(),
                                            " bytes, expected ", expected,
                                            " for the transform's arrays"));
  }
  return GuardTorch([&]() -> absl::Status {
    size_t offset = 0;
    for (torch::Tensor* t : arrays) {
      *t = torch::empty(Shape(params, t), torch::kFloat64);
      const size_t size = t->numel() * sizeof(double);
      std::memcpy(t->data_ptr<double>(), bytes.data() + offset, size);
      offset += size;
    }
    return absl::OkStatus();
  });
}

}  // namespace jkoflow
