#ifndef JKOFLOW_CORE_DATA_PARALLEL_H_
#define JKOFLOW_CORE_DATA_PARALLEL_H_

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/collective.h"
#include "core/divergence.h"
#include "core/flow_model.h"
#include "core/jko_block.h"

namespace jkoflow {

// SummedStep is one iteration's loss terms summed over the ranks, and
// whether any rank voted to cancel.
struct SummedStep {
  LossTerms terms;
  bool cancelled = false;
};

// RowMap maps rows [m, dim] to rows [m, ...] (a block's map, in chunks).
using RowMap =
    std::function<absl::StatusOr<torch::Tensor>(const torch::Tensor& rows)>;

// Parallelism is how a ProgressiveTrainer shares its work among the ranks
// of a training job, at the points where ranks meet: the batch loss, the
// gradient step, pushes through a block, held-out sums and the block
// statistics. SingleProcess() passes everything straight through;
// DataParallel() splits rows over a Collective's ranks and reduces (every
// rank draws the same global batch and probes, computes the gradient of its
// ShareOfRows() and takes the same Adam step after one all-reduce, as
// PyTorch's DDP does; docs/design.md §6). Methods are called by one
// training thread, in the same order on every rank.
class Parallelism {
 public:
  virtual ~Parallelism() = default;

  // IsRoot() is true on the rank that runs the diagnostics (rank 0).
  virtual bool IsRoot() const = 0;

  // CancelsAtOnce() is true when a cancel vote stops this rank before its
  // next batch; with several ranks the vote instead travels with the
  // gradients (SumStep()), so that every rank stops at the same iteration.
  virtual bool CancelsAtOnce() const = 0;

  // Share() is this rank's rows [begin, begin + count) of `rows` rows.
  virtual RankRows Share(int64_t rows) const = 0;

  // Sum() replaces `values` (contiguous, on the trainer's device) by their
  // sum over the ranks.
  virtual absl::Status Sum(torch::Tensor& values) const = 0;

  // SumTerms() sums the (detached) ShareLoss() terms over the ranks.
  virtual absl::StatusOr<LossTerms> SumTerms(const LossTerms& share) const = 0;

  // ShareLoss() is this rank's part of the loss of the batch x = the
  // `index` rows of `source` (every row when `index` is undefined; every
  // rank passes the same batch and generator state): the loss terms of its
  // Share() of x weighted by share / batch, so that their sum over ranks is
  // the batch mean. On one rank, block.Loss(x).
  virtual absl::StatusOr<LossTerms> ShareLoss(
      const JkoBlock& block, const torch::Tensor& source,
      const torch::Tensor& index, const DivergenceOptions& divergence,
      at::Generator& generator) const = 0;

  // MapRows() is map(x), each rank mapping its Share() of the rows and
  // every rank getting all of them back.
  virtual absl::StatusOr<torch::Tensor> MapRows(const torch::Tensor& x,
                                                const RowMap& map) const = 0;

  // SumStep() sums the gradients of `block`, the loss terms of `share` and
  // the cancel votes over the ranks (one all-reduce).
  virtual absl::StatusOr<SummedStep> SumStep(JkoBlock& block,
                                             const LossTerms& share,
                                             bool cancel_vote) const = 0;

  // AgreeOnStats() replaces `stats` by rank 0's on every rank.
  virtual absl::Status AgreeOnStats(BlockStats& stats,
                                    torch::Device device) const = 0;
};

// SingleProcess() is one process doing all the work: no rank to meet.
std::unique_ptr<Parallelism> SingleProcess();

// DataParallel() shares the work among the ranks of `collective` (which
// must outlive it); a null collective or one of a single rank gives
// SingleProcess(), so world size 1 trains as one process does.
std::unique_ptr<Parallelism> DataParallel(
    std::shared_ptr<Collective> collective);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_DATA_PARALLEL_H_
