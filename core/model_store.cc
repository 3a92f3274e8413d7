#include "core/model_store.h"

#include <fcntl.h>
#include <torch/version.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <system_error>

#include "absl/base/config.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/atomic_file.h"
#include "base/json_integer.h"
#include "base/sha256.h"
#include "base/status_macros.h"
#include "core/torch_status.h"
#include "core/transform_file.h"
#include "core/weights_file.h"

#ifndef JKOFLOW_VERSION
#define JKOFLOW_VERSION "unknown"
#endif

namespace jkoflow {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kManifest[] = "manifest.json";
constexpr char kFormatName[] = "jkoflow-model";
constexpr char kTransformFile[] = "transform.bin";

std::string BlockFileName(int64_t index) {
  return absl::StrFormat("block_%03d.weights", index + 1);
}

std::string UtcNow() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

absl::Status FromFilesystemError(const std::error_code& ec,
                                 const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", ec.message()));
}

// UniqueSuffix() makes sibling temp names distinct across threads/processes.
std::string UniqueSuffix() {
  static std::atomic<uint64_t> counter{0};
  return absl::StrCat(getpid(), "-", counter.fetch_add(1));
}

// StatToJson() writes a statistic as a number, or a non-finite one as the
// string "nan", "inf" or "-inf": JSON has no NaN, and nlohmann would write
// null, which a reader expecting a number rejects.
json StatToJson(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return value;
}

// StatFromJson() reads what StatToJson() writes; null (older manifests
// wrote NaN so) and anything else that is not a number read as NaN, so a
// statistic never makes a model unloadable.
double StatFromJson(const json& j) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const std::string text = j.get<std::string>();
    if (text == "inf") return std::numeric_limits<double>::infinity();
    if (text == "-inf") return -std::numeric_limits<double>::infinity();
  }
  return std::numeric_limits<double>::quiet_NaN();
}

json StatsToJson(const BlockStats& s) {
  json j = json::object();
  for (const BlockStatField& field : kBlockStatFields) {
    j[field.name] = StatToJson(s.*field.member);
  }
  j["iterations"] = s.iterations;
  if (s.diagnostics.points > 0) {
    json d = json::object();
    d["points"] = s.diagnostics.points;
    for (const BlockDiagnosticField& field : kBlockDiagnosticFields) {
      d[field.name] = StatToJson(s.diagnostics.*field.member);
    }
    j["diagnostics"] = d;
  }
  return j;
}

BlockDiagnostics DiagnosticsFromJson(const json& j) {
  BlockDiagnostics d;
  if (!j.is_object()) return d;
  const json points = j.value("points", json(0));
  if (!points.is_number_integer() || points.get<int64_t>() < 1) return d;
  d.points = points.get<int64_t>();
  for (const BlockDiagnosticField& field : kBlockDiagnosticFields) {
    if (j.contains(field.name)) d.*field.member = StatFromJson(j[field.name]);
  }
  return d;
}

BlockStats StatsFromJson(const json& j) {
  BlockStats s;
  if (!j.is_object()) return s;
  for (const BlockStatField& field : kBlockStatFields) {
    if (j.contains(field.name)) s.*field.member = StatFromJson(j[field.name]);
  }
  const json iterations = j.value("iterations", json(0));
  if (iterations.is_number_integer()) s.iterations = iterations.get<int64_t>();
  if (j.contains("diagnostics")) {
    s.diagnostics = DiagnosticsFromJson(j["diagnostics"]);
  }
  return s;
}

// CheckWeightsFileName() accepts a plain file name inside the version
// directory: not empty, no '/', not "." or "..". A manifest naming any
// other path could read files outside its directory.
absl::Status CheckWeightsFileName(const std::string& name,
                                  const std::string& manifest_path,
                                  size_t block) {
  if (!name.empty() && name != "." && name != ".." &&
      name.find('/') == std::string::npos &&
      name.find('\0') == std::string::npos) {
    return absl::OkStatus();
  }
  return absl::DataLossError(
      absl::StrCat(manifest_path, ": block ", block, ": weights_file \"", name,
                   "\" must be a plain file name inside the model directory"));
}

// SwapIntoPlace() renames `temp` to `target`. When `target` exists the two
// are exchanged in one step (renameat2 RENAME_EXCHANGE), so there is no
// moment when neither exists; `temp` then holds the old directory and is
// removed. Without RENAME_EXCHANGE (an old kernel or a file system without
// it) the old directory is first renamed aside.
absl::Status SwapIntoPlace(const fs::path& temp, const fs::path& target) {
  std::error_code ec;
  if (!fs::exists(target, ec)) {
    fs::rename(temp, target, ec);
    if (ec) return FromFilesystemError(ec, target.string());
    return absl::OkStatus();
  }
  if (renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, target.c_str(),
                RENAME_EXCHANGE) == 0) {
    fs::remove_all(temp, ec);
    return absl::OkStatus();
  }
  const fs::path old =
      target.parent_path() /
      absl::StrCat(".", target.filename().string(), ".old-", UniqueSuffix());
  fs::rename(target, old, ec);
  if (ec) return FromFilesystemError(ec, target.string());
  fs::rename(temp, target, ec);
  if (ec) return FromFilesystemError(ec, target.string());
  fs::remove_all(old, ec);
  return absl::OkStatus();
}

// TransformToJson() is the manifest's "transform" object: the steps and
// scalars, and the arrays' file with its SHA-256 (`checksum`, "" when the
// steps have no arrays).
json TransformToJson(const DataTransform& transform,
                     const std::string& checksum) {
  const DataTransform::Parameters& p = transform.parameters();
  json j{{"steps", TransformSpecName(p.steps)},
         {"logit_alpha", p.steps.logit_alpha},
         {"lower", p.lower},
         {"upper", p.upper},
         {"shape", p.item_shape}};
  if (!checksum.empty()) {
    j["arrays_file"] = kTransformFile;
    j["sha256"] = checksum;
  }
  return j;
}

// TransformFromJson() reads TransformToJson()'s object (and the arrays'
// file in `dir`) for a model of dimension `dim`.
absl::StatusOr<DataTransform> TransformFromJson(const json& j, int64_t dim,
                                                const std::string& dir,
                                                const std::string& where) {
  const auto bad = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat(where, ": transform: ", what));
  };
  DataTransform::Parameters p;
  p.dim = dim;
  absl::StatusOr<TransformSpec> steps =
      ParseTransformSpec(j.at("steps").get<std::string>());
  if (!steps.ok() || steps->automatic) return bad("bad steps");
  p.steps = *steps;
  p.steps.logit_alpha = j.value("logit_alpha", 0.05);
  p.lower = j.value("lower", 0.0);
  p.upper = j.value("upper", 1.0);
  for (const json& extent : j.value("shape", json::array())) {
    p.item_shape.push_back(JsonInteger<int64_t>(extent));
  }
  if (HasTransformArrays(p.steps)) {
    const std::string file = (fs::path(dir) / kTransformFile).string();
    ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(file));
    if (Sha256Hex(bytes) != j.at("sha256").get<std::string>()) {
      return absl::DataLossError(absl::StrCat(
          file,
          ": SHA-256 does not match the manifest's (file altered or "
          "truncated)"));
    }
    RETURN_IF_ERROR(DeserializeTransformArrays(bytes, file, p));
  }
  absl::StatusOr<DataTransform> transform =
      DataTransform::FromParameters(std::move(p));
  if (!transform.ok()) return bad(transform.status().message());
  return transform;
}

absl::StatusOr<json> ManifestFor(const FlowModel& model,
                                 const std::vector<std::string>& files,
                                 const std::vector<std::string>& checksums,
                                 const std::string& transform_checksum) {
  json blocks = json::array();
  for (int64_t i = 0; i < model.num_blocks(); ++i) {
    const JkoBlockConfig& c = model.block(i).config();
    blocks.push_back(json{
        {"index", i + 1},
        {"h", c.h},
        {"steps", c.steps},
        {"width", c.field.width()},
        {"depth", c.field.depth()},
        {"activation", ActivationName(c.field.activation())},
        {"softplus_beta", c.field.softplus_beta()},
        {"time_input", c.field.time_input()},
        {"weights_file", files[i]},
        {"sha256", checksums[i]},
        {"stats", StatsToJson(model.stats(i))},
    });
  }
  const Provenance& p = model.provenance();
  json hyper = json::object();
  for (const auto& [name, value] : p.hyperparameters) hyper[name] = value;
  json manifest{
      {"format", kFormatName},
      {"format_version",
       model.transform().Identity() && model.transform().item_shape().empty()
           ? kModelFormatVersion
           : kTransformFormatVersion},
      {"dim", model.dim()},
      {"dtype", model.dtype() == torch::kFloat64 ? "float64" : "float32"},
      {"smoothing_tau", model.smoothing_tau()},
      {"blocks", blocks},
      {"provenance",
       {{"dataset", p.dataset},
        {"seed", p.seed},
        {"hyperparameters", hyper},
        {"created_utc", p.created_utc.empty() ? UtcNow() : p.created_utc},
        {"library_versions",
         {{"jkoflow", JKOFLOW_VERSION},
          {"libtorch", TORCH_VERSION},
          {"abseil", absl::StrCat(ABSL_LTS_RELEASE_VERSION)}}}}},
  };
  // Models without a transform keep the manifest of earlier versions.
  const DataTransform& transform = model.transform();
  if (!transform.Identity() || !transform.item_shape().empty()) {
    manifest["transform"] = TransformToJson(transform, transform_checksum);
  }
  // Only models made on a server with tokens have an owner.
  if (!p.owner.empty()) manifest["provenance"]["owner"] = p.owner;
  return manifest;
}

// ProvenanceFromJson() reads a manifest's "provenance" object; absent
// fields stay empty. Throws json::exception on a wrong type.
Provenance ProvenanceFromJson(const json& p) {
  Provenance provenance;
  provenance.dataset = p.value("dataset", "");
  provenance.seed =
      p.contains("seed") ? JsonInteger<uint64_t>(p.at("seed")) : 0;
  provenance.created_utc = p.value("created_utc", "");
  provenance.owner = p.value("owner", "");
  const json hyperparameters = p.value("hyperparameters", json::object());
  for (const auto& [name, value] : hyperparameters.items()) {
    provenance.hyperparameters.emplace_back(
        name, value.is_string() ? value.get<std::string>() : value.dump());
  }
  return provenance;
}

// SaturatingMulAdd() is a * b + c for non-negative values, at most
// INT64_MAX.
int64_t SaturatingMulAdd(int64_t a, int64_t b, int64_t c) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (a != 0 && b > (kMax - c) / a) return kMax;
  return a * b + c;
}

}  // namespace

int64_t BlockParameterCount(const VelocityFieldOptions& options) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t fan_in = options.dim() + (options.time_input() ? 1 : 0);
  int64_t total = 0;
  for (int64_t l = 0; l <= options.depth(); ++l) {
    const int64_t fan_out =
        l == options.depth() ? options.dim() : options.width();
    const int64_t layer = SaturatingMulAdd(fan_in, fan_out, fan_out);
    total = layer > kMax - total ? kMax : total + layer;
    fan_in = fan_out;
  }
  return total;
}

absl::Status SaveModel(const FlowModel& model, const std::string& dir) {
  const fs::path target = fs::absolute(fs::path(dir)).lexically_normal();
  const fs::path parent = target.parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) return FromFilesystemError(ec, parent.string());
  const fs::path temp = parent / absl::StrCat(".", target.filename().string(),
                                              ".tmp-", UniqueSuffix());
  fs::create_directory(temp, ec);
  if (ec) return FromFilesystemError(ec, temp.string());

  auto write_all = [&]() -> absl::Status {
    std::vector<std::string> files, checksums;
    for (int64_t i = 0; i < model.num_blocks(); ++i) {
      ASSIGN_OR_RETURN(std::string bytes,
                       SerializeWeights(*model.block(i).field()));
      files.push_back(BlockFileName(i));
      checksums.push_back(Sha256Hex(bytes));
      RETURN_IF_ERROR(
          WriteFileAtomically((temp / files.back()).string(), bytes));
    }
    std::string transform_checksum;
    const DataTransform::Parameters& tp = model.transform().parameters();
    if (HasTransformArrays(tp.steps)) {
      const std::string bytes = SerializeTransformArrays(tp);
      transform_checksum = Sha256Hex(bytes);
      RETURN_IF_ERROR(
          WriteFileAtomically((temp / kTransformFile).string(), bytes));
    }
    ASSIGN_OR_RETURN(json manifest,
                     ManifestFor(model, files, checksums, transform_checksum));
    RETURN_IF_ERROR(WriteFileAtomically((temp / kManifest).string(),
                                        manifest.dump(2) + "\n"));
    RETURN_IF_ERROR(SyncDirectory(temp.string()));
    RETURN_IF_ERROR(SwapIntoPlace(temp, target));
    return SyncDirectory(parent.string());
  };
  absl::Status status = write_all();
  if (!status.ok()) fs::remove_all(temp, ec);
  return status;
}

absl::StatusOr<Provenance> LoadProvenance(const std::string& dir) {
  const std::string manifest_path = (fs::path(dir) / kManifest).string();
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(manifest_path));
  const json manifest = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (manifest.is_discarded() || !manifest.is_object() ||
      manifest.value("format", "") != kFormatName) {
    return absl::DataLossError(
        absl::StrCat(manifest_path, ": not a jkoflow model manifest"));
  }
  try {
    return ProvenanceFromJson(manifest.at("provenance"));
  } catch (const json::exception& e) {
    return absl::DataLossError(absl::StrCat(manifest_path, ": ", e.what()));
  }
}

namespace {

// BlockConfigFromJson() reads block `index` (1-based) of a manifest for
// blocks of dimension `dim`; DATA_LOSS when the config is invalid,
// RESOURCE_EXHAUSTED over `max_block_params` (when > 0). May throw
// json::exception (LoadModel() catches it).
absl::StatusOr<JkoBlockConfig> BlockConfigFromJson(
    const json& b, int64_t dim, size_t index, int64_t max_block_params,
    const std::string& manifest_path) {
  JkoBlockConfig config;
  config.h = b.at("h").get<double>();
  config.steps = JsonInteger<int64_t>(b.at("steps"));
  config.field = VelocityFieldOptions(dim)
                     .width(JsonInteger<int64_t>(b.at("width")))
                     .depth(JsonInteger<int64_t>(b.at("depth")))
                     .softplus_beta(b.value("softplus_beta", 20.0))
                     .time_input(b.value("time_input", false));
  ASSIGN_OR_RETURN(Activation activation,
                   ParseActivation(b.at("activation").get<std::string>()));
  config.field.activation(activation);
  absl::Status valid = ValidateJkoBlockConfig(config);
  if (!valid.ok()) {
    return absl::DataLossError(
        absl::StrCat(manifest_path, ": block ", index, ": ", valid.message()));
  }
  const int64_t params = BlockParameterCount(config.field);
  if (max_block_params > 0 && params > max_block_params) {
    return absl::ResourceExhaustedError(
        absl::StrCat(manifest_path, ": block ", index, " has ", params,
                     " parameters, more than the limit of ", max_block_params));
  }
  return config;
}

// ReadCheckedWeights() reads block `index`'s weights file in `dir` and
// checks its SHA-256 against the manifest's `expected`: NOT_FOUND when it
// is missing, DATA_LOSS when it differs.
absl::StatusOr<std::string> ReadCheckedWeights(const std::string& dir,
                                               const std::string& name,
                                               const std::string& expected,
                                               size_t index,
                                               const std::string& manifest) {
  RETURN_IF_ERROR(CheckWeightsFileName(name, manifest, index));
  const std::string file = (fs::path(dir) / name).string();
  absl::StatusOr<std::string> bytes = ReadFileToString(file);
  if (!bytes.ok()) {
    if (absl::IsNotFound(bytes.status())) {
      return absl::NotFoundError(
          absl::StrCat(file, ": weights file of block ", index, " is missing"));
    }
    return bytes.status();
  }
  const std::string actual = Sha256Hex(*bytes);
  if (actual != expected) {
    return absl::DataLossError(absl::StrCat(
        file, ": SHA-256 ", actual, " does not match the manifest's ", expected,
        " (file altered or truncated)"));
  }
  return bytes;
}

// AppendBlocks() loads the manifest's blocks into `model` (whose transform
// is set, so that FlowModel::FlowDim() is the blocks' dimension). May throw
// json::exception.
absl::Status AppendBlocks(const json& manifest, const std::string& dir,
                          int64_t max_block_params,
                          const std::string& manifest_path, FlowModel& model) {
  const json& blocks = manifest.at("blocks");
  for (size_t i = 0; i < blocks.size(); ++i) {
    const json& b = blocks[i];
    ASSIGN_OR_RETURN(const JkoBlockConfig config,
                     BlockConfigFromJson(b, model.FlowDim(), i + 1,
                                         max_block_params, manifest_path));
    ASSIGN_OR_RETURN(
        const std::string bytes,
        ReadCheckedWeights(dir, b.at("weights_file").get<std::string>(),
                           b.at("sha256").get<std::string>(), i + 1,
                           manifest_path));
    ASSIGN_OR_RETURN(JkoBlock block, JkoBlock::Create(config, /*seed=*/0));
    RETURN_IF_ERROR(GuardTorch([&]() -> absl::Status {
      block.field()->to(model.dtype());
      for (auto& param : block.field()->parameters()) {
        param.set_requires_grad(false);
      }
      return absl::OkStatus();
    }));
    const std::string file =
        (fs::path(dir) / b.at("weights_file").get<std::string>()).string();
    RETURN_IF_ERROR(DeserializeWeights(bytes, file, *block.field()));
    RETURN_IF_ERROR(model.AppendBlock(
        std::move(block), StatsFromJson(b.value("stats", json::object()))));
  }
  return absl::OkStatus();
}

// CheckManifestFormat() refuses a manifest of another format or of a
// version this build does not read.
absl::Status CheckManifestFormat(const json& manifest,
                                 const std::string& manifest_path) {
  if (manifest.value("format", "") != kFormatName) {
    return absl::DataLossError(
        absl::StrCat(manifest_path, ": not a jkoflow model manifest"));
  }
  const int version = JsonInteger<int>(manifest.at("format_version"));
  if (version != kModelFormatVersion && version != kTransformFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        manifest_path, ": format_version ", version,
        " is not supported (this build reads ", kModelFormatVersion, " and ",
        kTransformFormatVersion, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<FlowModel> LoadModel(const std::string& dir,
                                    torch::Device device,
                                    int64_t max_block_params) {
  const std::string manifest_path = (fs::path(dir) / kManifest).string();
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(manifest_path));
  json manifest = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (manifest.is_discarded() || !manifest.is_object()) {
    return absl::DataLossError(
        absl::StrCat(manifest_path, ": not valid JSON (truncated?)"));
  }
  try {
    RETURN_IF_ERROR(CheckManifestFormat(manifest, manifest_path));
    const int64_t dim = JsonInteger<int64_t>(manifest.at("dim"));
    if (dim < 1) {
      return absl::DataLossError(absl::StrCat(manifest_path, ": bad dim"));
    }
    const torch::ScalarType dtype =
        manifest.value("dtype", "float32") == "float64" ? torch::kFloat64
                                                        : torch::kFloat32;
    FlowModel model(dim, device, dtype);
    model.set_smoothing_tau(manifest.value("smoothing_tau", 0.0));
    model.set_provenance(ProvenanceFromJson(manifest.at("provenance")));
    if (manifest.contains("transform")) {
      ASSIGN_OR_RETURN(
          DataTransform transform,
          TransformFromJson(manifest.at("transform"), dim, dir, manifest_path));
      RETURN_IF_ERROR(model.set_transform(std::move(transform)));
    }
    RETURN_IF_ERROR(
        AppendBlocks(manifest, dir, max_block_params, manifest_path, model));
    return model;
  } catch (const json::exception& e) {
    return absl::DataLossError(
        absl::StrCat(manifest_path, ": malformed manifest: ", e.what()));
  }
}

}  // namespace jkoflow
