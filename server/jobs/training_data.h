#ifndef JKOFLOW_SERVER_JOBS_TRAINING_DATA_H_
#define JKOFLOW_SERVER_JOBS_TRAINING_DATA_H_

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/jobs/job_types.h"

namespace jkoflow {

// kMaxGeneratedPoints bounds GeneratorRequest::n; kMaxTrainingValues bounds
// rows × dim of any training set (uploads and files included).
inline constexpr int64_t kMaxGeneratedPoints = 10000000;
inline constexpr int64_t kMaxTrainingValues = 50000000;
// kMaxGeneratorDim (the largest dimension a model may have) and
// kMaxGeneratorComponents bound a "gmm:<dim>:<components>:<seed>" spec, and
// kMaxGeneratorParameters its components × dim (each component has a mean
// and a scale per dimension), all checked before the mixture is built.
inline constexpr int64_t kMaxGeneratorDim = 4096;
inline constexpr int64_t kMaxGeneratorComponents = 10000;
inline constexpr int64_t kMaxGeneratorParameters = 1000000;

// DataSpec says where a job's training data comes from. Generated data is
// drawn again from the spec when a job resumes; files and uploads are copied
// into the job's directory when the job is created.
struct DataSpec {
  enum class Source { kGenerator, kFile, kUpload };
  Source source = Source::kGenerator;
  std::string generator;   // kGenerator: built-in name or "gmm:d:k:seed"
  int64_t n = 0;           // kGenerator: points
  uint64_t seed = 0;       // kGenerator: generator seed
  std::string file;        // kFile: path relative to --data_dir
  std::string upload_job;  // kUpload: id of the job that received the data
  int64_t dim = 0;         // dimension of the data
  // kFile: the shape of one point the file recorded (an IDX image:
  // {28, 28}); empty when flat.
  std::vector<int64_t> item_shape;
};

// DataSpecFromGenerator() validates a generator spec: a built-in name or a
// "gmm:<dim>:<components>:<seed>" spec within the bounds above, n in
// [1, 10,000,000] (0 → 100,000) and n × dim within kMaxTrainingValues, all
// before anything is built. Errors are INVALID_ARGUMENT naming
// "generator.name" or "generator.n" and the limit.
absl::StatusOr<DataSpec> DataSpecFromGenerator(const GeneratorRequest& spec);

// GenerateData() draws the data of a generator spec, [n, dim] float32 CPU,
// reproducibly.
absl::StatusOr<torch::Tensor> GenerateData(const DataSpec& spec);

// ResolveDataFile() maps `relative` to a path inside `data_dir`. An empty or
// absolute path, a ".." component, or a path (symlinks resolved) that leaves
// the data dir is INVALID_ARGUMENT naming "data_file"; a missing file is
// NOT_FOUND.
absl::StatusOr<std::string> ResolveDataFile(const std::string& data_dir,
                                            const std::string& relative);

// ReadTrainingArray() reads a .csv, .npy or IDX file as [rows, cols]
// float32 CPU, enforcing kMaxTrainingValues; `item_shape` (when given)
// receives the shape of one row the file recorded. Errors name the file.
// IMPORTANT: callers check the values with CheckTrainingData().
absl::StatusOr<torch::Tensor> ReadTrainingArray(
    const std::string& path, std::vector<int64_t>* item_shape = nullptr);

// CheckTrainingData() refuses training data x [rows, cols] (CPU float32)
// with a non-finite value or a row too far out for float32 (|x|² above
// kMaxSquaredNorm, see point_range.h): such a row makes the training loss
// overflow. INVALID_ARGUMENT naming `field`, the row and the limit.
absl::Status CheckTrainingData(const torch::Tensor& x, absl::string_view field);

// WriteTrainingArray() writes x [rows, cols] to `path` as a float32 .npy.
absl::Status WriteTrainingArray(const torch::Tensor& x,
                                const std::string& path);

// DatasetLabel() is the provenance string recorded in a trained model:
// "<generator>?n=<n>&seed=<seed>", "file:<path>" or "upload:<job id>".
// ParseDatasetLabel() inverts it (dim is left 0); anything else is
// INVALID_ARGUMENT.
std::string DatasetLabel(const DataSpec& spec);
absl::StatusOr<DataSpec> ParseDatasetLabel(const std::string& label);

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_JOBS_TRAINING_DATA_H_
