#include "core/data_source.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/array_file.h"
#include "base/status_macros.h"
#include "core/datasets.h"
#include "core/torch_status.h"

namespace jkoflow {

bool IsBuiltinDataset(const std::string& name) {
  const std::vector<std::string> names = BuiltinDatasetNames();
  return std::find(names.begin(), names.end(), name) != names.end();
}

absl::StatusOr<torch::Tensor> GeneratePoints(const std::string& dataset,
                                             int64_t points, uint64_t seed) {
  if (absl::StartsWith(dataset, "gmm:")) {
    ASSIGN_OR_RETURN(GaussianMixture gmm, ParseGaussianMixtureSpec(dataset));
    return gmm.Sample(points, seed);
  }
  return GenerateBuiltin(dataset, points, seed);
}

absl::StatusOr<torch::Tensor> ReadPointsFile(const std::string& path,
                                             std::vector<int64_t>* item_shape,
                                             int64_t max_values) {
  ASSIGN_OR_RETURN(Array2D array, ReadArrayFile(path));
  if (max_values > 0 &&
      array.rows > max_values / std::max<int64_t>(array.cols, 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", array.rows, " × ", array.cols,
                     " exceeds the limit of ", max_values, " values"));
  }
  if (item_shape != nullptr) *item_shape = array.item_shape;
  return GuardTorch([&]() -> absl::StatusOr<torch::Tensor> {
    torch::Tensor x = torch::empty({array.rows, array.cols}, torch::kFloat32);
    std::copy(array.values.begin(), array.values.end(), x.data_ptr<float>());
    return x;
  });
}

}  // namespace jkoflow
