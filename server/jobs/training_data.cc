#include "server/jobs/training_data.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/array_file.h"
#include "base/status_macros.h"
#include "core/data_source.h"
#include "core/datasets.h"
#include "core/torch_status.h"
#include "server/jobs/point_range.h"

namespace jkoflow {
namespace fs = std::filesystem;
namespace {

constexpr int64_t kDefaultGeneratedPoints = 100000;

// IsWithin() says whether `path` equals `root` or lies below it (both
// canonical).
bool IsWithin(const fs::path& path, const fs::path& root) {
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++p) {
    if (p == path.end() || *p != *r) return false;
  }
  return true;
}

// CheckGeneratedValues() bounds n × dim of generated data (n ≥ 1; other n
// are refused by the caller).
absl::Status CheckGeneratedValues(int64_t n, int64_t dim) {
  if (n >= 1 && n > kMaxTrainingValues / dim) {
    return absl::InvalidArgumentError(
        absl::StrCat("generator.n: n × dim = ", n, " × ", dim,
                     " exceeds the limit of ", kMaxTrainingValues, " values"));
  }
  return absl::OkStatus();
}

// CheckMixtureBounds() bounds the dimension and components of a
// "gmm:<dim>:<components>:<seed>" spec, and n × dim, before the core parses
// it (and allocates the mixture). A malformed spec passes: the core's parser
// names what is wrong with it.
absl::Status CheckMixtureBounds(const std::string& name, int64_t n) {
  const std::vector<absl::string_view> parts = absl::StrSplit(name, ':');
  int64_t dim = 0;
  int64_t components = 0;
  if (parts.size() != 4 || !absl::SimpleAtoi(parts[1], &dim) ||
      !absl::SimpleAtoi(parts[2], &components) || dim < 1 || components < 1) {
    return absl::OkStatus();
  }
  if (dim > kMaxGeneratorDim) {
    return absl::InvalidArgumentError(absl::StrCat("generator.name: dim ", dim,
                                                   " exceeds the limit of ",
                                                   kMaxGeneratorDim));
  }
  if (components > kMaxGeneratorComponents) {
    return absl::InvalidArgumentError(absl::StrCat(
        "generator.name: ", components, " components exceed the limit of ",
        kMaxGeneratorComponents));
  }
  if (components * dim > kMaxGeneratorParameters) {
    return absl::InvalidArgumentError(
        absl::StrCat("generator.name: components × dim = ", components, " × ",
                     dim, " exceeds the limit of ", kMaxGeneratorParameters));
  }
  return CheckGeneratedValues(n, dim);
}

}  // namespace

absl::StatusOr<DataSpec> DataSpecFromGenerator(const GeneratorRequest& g) {
  DataSpec spec;
  spec.source = DataSpec::Source::kGenerator;
  spec.generator = g.name;
  spec.seed = g.seed;
  spec.n = g.n == 0 ? kDefaultGeneratedPoints : g.n;
  if (IsBuiltinDataset(g.name)) {
    spec.dim = 2;
  } else if (absl::StartsWith(g.name, "gmm:")) {
    RETURN_IF_ERROR(CheckMixtureBounds(g.name, spec.n));
    absl::StatusOr<GaussianMixture> gmm = ParseGaussianMixtureSpec(g.name);
    if (!gmm.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("generator.name: ", gmm.status().message()));
    }
    spec.dim = gmm->dim();
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "generator.name: unknown data set \"", g.name, "\"; expected one of ",
        absl::StrJoin(BuiltinDatasetNames(), ", "),
        " or gmm:<dim>:<components>:<seed>"));
  }
  if (spec.n < 1 || spec.n > kMaxGeneratedPoints) {
    return absl::InvalidArgumentError(absl::StrCat(
        "generator.n: must be in [1, ", kMaxGeneratedPoints, "], got ", g.n));
  }
  RETURN_IF_ERROR(CheckGeneratedValues(spec.n, spec.dim));
  return spec;
}

absl::StatusOr<torch::Tensor> GenerateData(const DataSpec& spec) {
  if (spec.source != DataSpec::Source::kGenerator) {
    return absl::InternalError("GenerateData: not a generator spec");
  }
  return GeneratePoints(spec.generator, spec.n, spec.seed);
}

absl::StatusOr<std::string> ResolveDataFile(const std::string& data_dir,
                                            const std::string& relative) {
  if (relative.empty()) {
    return absl::InvalidArgumentError("data_file: must not be empty");
  }
  const fs::path rel(relative);
  if (rel.is_absolute() || relative.front() == '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        "data_file: must be relative to the server's data dir, got \"",
        relative, "\""));
  }
  for (const fs::path& part : rel) {
    if (part == "..") {
      return absl::InvalidArgumentError(absl::StrCat(
          "data_file: \"..\" is not allowed, got \"", relative, "\""));
    }
  }
  std::error_code ec;
  const fs::path root = fs::canonical(data_dir, ec);
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat("data_file: the server has no data dir (", data_dir, ")"));
  }
  const fs::path path = fs::canonical(root / rel, ec);
  if (ec) {
    return absl::NotFoundError(absl::StrCat("data_file: \"", relative,
                                            "\" not found in the data dir"));
  }
  if (!IsWithin(path, root)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "data_file: \"", relative, "\" leads outside the data dir"));
  }
  if (!fs::is_regular_file(path, ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat("data_file: \"", relative, "\" is not a regular file"));
  }
  return path.string();
}

absl::StatusOr<torch::Tensor> ReadTrainingArray(
    const std::string& path, std::vector<int64_t>* item_shape) {
  return ReadPointsFile(path, item_shape, kMaxTrainingValues);
}

absl::Status CheckTrainingData(const torch::Tensor& x,
                               absl::string_view field) {
  // CheckPointRange() refuses Inf and NaN as well: their |x|² is not finite.
  return GuardTorch([&]() -> absl::Status {
    return CheckPointRange(x.to(torch::kCPU, torch::kFloat32).contiguous(),
                           field);
  });
}

absl::Status WriteTrainingArray(const torch::Tensor& x,
                                const std::string& path) {
  Array2D array;
  RETURN_IF_ERROR(GuardTorch([&]() -> absl::Status {
    const torch::Tensor host = x.to(torch::kCPU, torch::kFloat64).contiguous();
    array.rows = host.size(0);
    array.cols = host.size(1);
    array.values.assign(host.data_ptr<double>(),
                        host.data_ptr<double>() + host.numel());
    return absl::OkStatus();
  }));
  return WriteNpy(path, array);
}

std::string DatasetLabel(const DataSpec& spec) {
  switch (spec.source) {
    case DataSpec::Source::kGenerator:
      return absl::StrCat(spec.generator, "?n=", spec.n, "&seed=", spec.seed);
    case DataSpec::Source::kFile:
      return absl::StrCat("file:", spec.file);
    case DataSpec::Source::kUpload:
      return absl::StrCat("upload:", spec.upload_job);
  }
  return "";
}

absl::StatusOr<DataSpec> ParseDatasetLabel(const std::string& label) {
  DataSpec spec;
  if (absl::StartsWith(label, "file:")) {
    spec.source = DataSpec::Source::kFile;
    spec.file = label.substr(5);
    return spec;
  }
  if (absl::StartsWith(label, "upload:")) {
    spec.source = DataSpec::Source::kUpload;
    spec.upload_job = label.substr(7);
    return spec;
  }
  const std::vector<std::string> parts = absl::StrSplit(label, '?');
  const absl::Status bad = absl::InvalidArgumentError(
      absl::StrCat("dataset: \"", label, "\" is not a data source"));
  if (parts.size() != 2) return bad;
  spec.source = DataSpec::Source::kGenerator;
  spec.generator = parts[0];
  bool has_n = false, has_seed = false;
  for (absl::string_view field : absl::StrSplit(parts[1], '&')) {
    if (absl::ConsumePrefix(&field, "n=")) {
      has_n = absl::SimpleAtoi(field, &spec.n);
    } else if (absl::ConsumePrefix(&field, "seed=")) {
      has_seed = absl::SimpleAtoi(field, &spec.seed);
    }
  }
  if (!has_n || !has_seed) return bad;
  return spec;
}

}  // namespace jkoflow
