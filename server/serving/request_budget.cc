#include "server/serving/request_budget.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace jkoflow {
namespace {

constexpr double kFloatBytes = 4;
// Tensors of [rows, d] alive at once in one RK4 step: the state, k1…k4 and
// the stage input.
constexpr double kRk4Tensors = 6;
// Proto framing of a SampleChunk: offset and tags, plus rows/cols/length of
// each Points message (generous upper bounds).
constexpr int64_t kChunkFraming = 64;
constexpr int64_t kPointsFraming = 32;

// Stages() is the number of Points messages in a chunk besides the sample.
int64_t Stages(const FlowModel& model, bool trajectory) {
  return trajectory ? model.num_blocks() + 1 : 0;
}

// HiddenFloats() is the widest block's hidden activations per row:
// width × depth.
double HiddenFloats(const FlowModel& model) {
  double widest = 0;
  for (int64_t k = 0; k < model.num_blocks(); ++k) {
    const VelocityFieldOptions& field = model.block(k).config().field;
    widest = std::max(widest, static_cast<double>(field.width()) *
                                  static_cast<double>(field.depth()));
  }
  return widest;
}

std::string Bytes(double bytes) {
  return absl::StrFormat("%.0f bytes (%.1f MiB)", bytes, bytes / (1 << 20));
}

}  // namespace

int64_t SampleChunkBytesPerPoint(const FlowModel& model, bool trajectory) {
  return model.dim() * 4 * (1 + Stages(model, trajectory));
}

absl::StatusOr<int64_t> FitSampleChunk(int64_t chunk_points,
                                       const FlowModel& model, bool trajectory,
                                       const RequestBudget& budget) {
  const int64_t per_point = SampleChunkBytesPerPoint(model, trajectory);
  const int64_t framing =
      kChunkFraming + kPointsFraming * (1 + Stages(model, trajectory));
  const int64_t fits = (budget.max_message_bytes - framing) / per_point;
  if (fits < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "chunk_points: one point of this model takes ", per_point,
        " bytes per chunk (dim ", model.dim(),
        trajectory ? absl::StrCat(" × ", 1 + Stages(model, trajectory),
                                  " with the trajectory stages")
                   : "",
        " × 4), more than the server's --max_message_bytes = ",
        budget.max_message_bytes));
  }
  return std::min(chunk_points, fits);
}

double SampleRequestBytes(int64_t n, int64_t chunk_points,
                          const FlowModel& model, bool trajectory,
                          const RequestBudget& budget) {
  const double d = static_cast<double>(model.dim());
  const double item_rows =
      static_cast<double>(std::min(n, budget.max_batch_points));
  const double stages = static_cast<double>(Stages(model, trajectory));
  const double noise = static_cast<double>(n) * d * kFloatBytes;
  const double item = item_rows * kFloatBytes *
                      (kRk4Tensors * d + 2 * HiddenFloats(model) + stages * d);
  // Rows computed but not yet written: at most one chunk or batch ahead of
  // the writer plus the item in flight, and never more than n.
  const double chunk_rows = static_cast<double>(std::min(n, chunk_points));
  const double buffered_rows = std::min<double>(
      static_cast<double>(n),
      std::max<double>(chunk_rows, budget.max_batch_points) + item_rows);
  const double buffered = buffered_rows * d * kFloatBytes * (1 + stages);
  // torch::cat of the chunk, then its copy into the proto.
  const double chunk = 2.0 * chunk_rows * d * kFloatBytes * (1 + stages);
  return noise + item + buffered + chunk;
}

double LogLikelihoodRequestBytes(int64_t n, const FlowModel& model,
                                 bool hutchinson, int64_t probes,
                                 const RequestBudget& budget) {
  const double d = static_cast<double>(model.dim());
  const double rows = static_cast<double>(n);
  const double item_rows =
      static_cast<double>(std::min(n, budget.max_batch_points));
  const double points = rows * d * kFloatBytes;
  // The divergence carries `tangents` directions (the d unit vectors when
  // exact, the probes for Hutchinson) beside each row through every RK4
  // stage and hidden layer.
  const double tangents = hutchinson ? static_cast<double>(probes) : d;
  const double per_row =
      (1 + tangents) * (kRk4Tensors * d + 2 * HiddenFloats(model));
  const double item = item_rows * kFloatBytes * per_row;
  const double response = rows * 8 * 2;  // float64 result and proto field
  return points + item + response;
}

absl::Status CheckRequestBytes(double bytes, const char* what,
                               const RequestBudget& budget) {
  if (bytes <= static_cast<double>(budget.max_request_bytes)) {
    return absl::OkStatus();
  }
  return absl::ResourceExhaustedError(
      absl::StrCat(what, ": this request needs about ", Bytes(bytes),
                   " of memory, more than the server's --max_request_bytes = ",
                   Bytes(static_cast<double>(budget.max_request_bytes)),
                   "; ask for fewer points per request"));
}

}  // namespace jkoflow
