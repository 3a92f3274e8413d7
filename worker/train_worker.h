#ifndef JKOFLOW_WORKER_TRAIN_WORKER_H_
#define JKOFLOW_WORKER_TRAIN_WORKER_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/process_group_collective.h"
#include "core/progressive_trainer.h"

namespace jkoflow {

// TrainWorkerOptions configure one rank of a data-parallel training job
// (jkoflow-train-worker). Every rank gets the same options but its rank.
struct TrainWorkerOptions {
  RendezvousOptions rendezvous;  // world_size 1: no process group at all
  // The data: a built-in 2-D set or gmm:<dim>:<k>:<seed> spec drawn with
  // `points` and `data_seed`, or a .csv/.npy file (`data_file`, which wins).
  std::string dataset = "8gaussians";
  int64_t points = 20000;
  uint64_t data_seed = 0;
  std::string data_file;
  TrainerOptions trainer;
  // The model store (rank 0 writes it, under its StoreLock): checkpoints
  // after every block in <model_dir>/.checkpoints/<name>/ (a restarted job
  // resumes from the last one), and the finished model as a new version
  // <model_dir>/<name>/v<N>. Empty: nothing is written.
  std::string model_dir;
  std::string name = "model";
  // When set, this rank writes one JSON line per iteration here
  // ({"block", "iteration", "loss", ...}; the loss is the global batch's).
  std::string progress_log;
  // When set, this rank saves its final model here (to compare ranks).
  std::string rank_model_out;
};

// RunTrainWorker() joins the process group, trains, and (rank 0) publishes;
// it prints one JSON summary line to `out` (iteration time median, time in
// all-reduce per iteration, parameters per block, final loss). A peer that
// dies or hangs fails it within the rendezvous timeout (UNAVAILABLE).
absl::Status RunTrainWorker(const TrainWorkerOptions& options,
                            std::ostream& out);

// RunAllReduceBench() joins the process group and times AllReduceSum() of
// float32 buffers of each size in `sizes` (median of `repeats`), one JSON
// line per size on `out`.
absl::Status RunAllReduceBench(const RendezvousOptions& rendezvous,
                               const std::vector<int64_t>& sizes, int repeats,
                               std::ostream& out);

}  // namespace jkoflow

#endif  // JKOFLOW_WORKER_TRAIN_WORKER_H_
