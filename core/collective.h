#ifndef JKOFLOW_CORE_COLLECTIVE_H_
#define JKOFLOW_CORE_COLLECTIVE_H_

#include <torch/types.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jkoflow {

// RankRows is the share of `rows` rows that one rank of `world_size` takes:
// rows [begin, begin + count). Shares are consecutive, cover every row and
// differ in size by at most one.
struct RankRows {
  int64_t begin = 0;
  int64_t count = 0;
};

// ShareOfRows() is rank `rank`'s share (0 ≤ rank < world_size).
RankRows ShareOfRows(int64_t rows, int rank, int world_size);

// CollectiveTimes are the seconds a rank spent inside collectives.
struct CollectiveTimes {
  double all_reduce_seconds = 0;
  int64_t all_reduce_calls = 0;
  double other_seconds = 0;  // broadcasts and gathers
};

// Collective is what data-parallel training needs from a process group of
// world_size() ranks. Every rank must call the same operations in the same
// order with tensors of the same shape; a call returns an error (never
// hangs past the group's timeout) when a peer has died or stopped
// answering. Results are identical, bit for bit, on every rank. Not
// thread-safe: one training thread per rank.
class Collective {
 public:
  virtual ~Collective() = default;

  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  // Backend() names the transport ("gloo", "nccl").
  virtual std::string Backend() const = 0;

  // AllReduceSum() replaces the contiguous `tensor` by its sum over ranks.
  virtual absl::Status AllReduceSum(torch::Tensor& tensor) = 0;

  // Broadcast() replaces the contiguous `tensor` by rank `root`'s.
  virtual absl::Status Broadcast(torch::Tensor& tensor, int root) = 0;

  // AllGatherRows() concatenates every rank's `local` rows, in rank order:
  // rank r passes the ShareOfRows(rows, r, world_size()) rows of a
  // [rows, ...] tensor and every rank gets the whole tensor back.
  virtual absl::StatusOr<torch::Tensor> AllGatherRows(
      const torch::Tensor& local, int64_t rows) = 0;

  // Times() is the time spent in collectives since construction.
  virtual CollectiveTimes Times() const = 0;
};

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_COLLECTIVE_H_
