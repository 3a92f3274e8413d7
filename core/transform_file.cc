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

}  // namespace

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
  std::vector<torch::Tensor*> arrays = Arrays(params);
  size_t expected = 0;
  for (torch::Tensor* t : arrays) {
    expected += (t == &params.basis ? d * d : d) * sizeof(double);
  }
  if (d < 1 || bytes.size() != expected) {
    return absl::DataLossError(absl::StrCat(file, ": ", bytes.size(),
                                            " bytes, expected ", expected,
                                            " for the transform's arrays"));
  }
  return GuardTorch([&]() -> absl::Status {
    size_t offset = 0;
    for (torch::Tensor* t : arrays) {
      const bool matrix = t == &params.basis;
      *t = matrix ? torch::empty({d, d}, torch::kFloat64)
                  : torch::empty({d}, torch::kFloat64);
      const size_t size = t->numel() * sizeof(double);
      std::memcpy(t->data_ptr<double>(), bytes.data() + offset, size);
      offset += size;
    }
    return absl::OkStatus();
  });
}

}  // namespace jkoflow
