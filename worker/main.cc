// jkoflow-train-worker: one rank of a data-parallel training job. Start W
// of them with the same flags and ranks 0..W−1; rank 0 serves the
// rendezvous and writes the model store.
//
//   jkoflow-train-worker --rank=0 --world_size=2 --rendezvous=host:29500 \
//     --dataset=8gaussians --points=100000 \
//     --set=max_blocks=6,batch_size=2000 --model_dir=/var/models --name=m

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/program_flags.h"
#include "base/status_macros.h"
#include "core/compute_setup.h"
#include "core/trainer_option_table.h"
#include "worker/train_worker.h"

ABSL_FLAG(int32_t, rank, -1,
          "this worker's rank in [0, world_size) (-1: $JOB_COMPLETION_INDEX "
          "of a Kubernetes Indexed Job, else 0)");
ABSL_FLAG(int32_t, world_size, 1, "number of workers");
ABSL_FLAG(std::string, rendezvous, "127.0.0.1:29500",
          "host:port of rank 0's TCPStore");
ABSL_FLAG(int64_t, timeout_s, 60,
          "seconds a rank waits for the others (rendezvous and each "
          "collective) before failing");
ABSL_FLAG(std::string, device, "cpu",
          "torch device: cpu (Gloo) or cuda[:n] (NCCL; one GPU per rank)");
ABSL_FLAG(int32_t, threads, 0, "LibTorch threads per worker (0: all cores)");
ABSL_FLAG(std::string, dataset, "8gaussians",
          "built-in 2-D set or gmm:<dim>:<k>:<seed>");
ABSL_FLAG(int64_t, points, 20000, "points drawn from --dataset");
ABSL_FLAG(uint64_t, data_seed, 0, "seed of the drawn points");
ABSL_FLAG(std::string, data, "",
          ".csv or .npy training points (wins over "
          "--dataset)");
ABSL_FLAG(std::vector<std::string>, set, {},
          "trainer options name=value, comma separated (the names of the "
          "model manifest's hyperparameters: max_blocks, "
          "iterations_per_block, batch_size, learning_rate, ...)");
ABSL_FLAG(uint64_t, seed, 0, "training seed (same on every rank)");
ABSL_FLAG(std::string, model_dir, "",
          "model store rank 0 checkpoints into and publishes to (empty: none)");
ABSL_FLAG(std::string, name, "model", "model name in the store");
ABSL_FLAG(std::string, progress_log, "",
          "JSON lines of every iteration's global loss (this rank)");
ABSL_FLAG(std::string, rank_model_out, "",
          "directory this rank saves its final model to");
ABSL_FLAG(bool, allreduce_bench, false,
          "instead of training, time all-reduces of --allreduce_sizes floats");
ABSL_FLAG(std::vector<std::string>, allreduce_sizes,
          std::vector<std::string>({"1000", "10000", "100000", "1000000"}),
          "buffer sizes (float32 elements) of --allreduce_bench");
ABSL_FLAG(int32_t, repeats, 30, "timed all-reduces per size");

namespace jkoflow {
namespace {

int RankFromFlagOrJob() {
  const int rank = absl::GetFlag(FLAGS_rank);
  if (rank >= 0) return rank;
  const char* index = std::getenv("JOB_COMPLETION_INDEX");
  int parsed = 0;
  if (index != nullptr && absl::SimpleAtoi(index, &parsed)) return parsed;
  return 0;
}

absl::StatusOr<RendezvousOptions> RendezvousFromFlags() {
  RendezvousOptions r;
  r.rank = RankFromFlagOrJob();
  r.world_size = absl::GetFlag(FLAGS_world_size);
  RETURN_IF_ERROR(ParseRendezvous(absl::GetFlag(FLAGS_rendezvous), r));
  const int64_t timeout_s = absl::GetFlag(FLAGS_timeout_s);
  if (timeout_s < 1 || timeout_s > 86400) {
    return absl::InvalidArgumentError("timeout_s: must be in [1, 86400]");
  }
  r.timeout = std::chrono::seconds(timeout_s);
  try {
    r.device = torch::Device(absl::GetFlag(FLAGS_device));
  } catch (const std::exception&) {
    return absl::InvalidArgumentError(absl::StrCat(
        "device: '", absl::GetFlag(FLAGS_device), "' is not a torch device"));
  }
  RETURN_IF_ERROR(ValidateRendezvousOptions(r));
  return r;
}

absl::StatusOr<TrainWorkerOptions> OptionsFromFlags() {
  TrainWorkerOptions o;
  ASSIGN_OR_RETURN(o.rendezvous, RendezvousFromFlags());
  o.dataset = absl::GetFlag(FLAGS_dataset);
  o.points = absl::GetFlag(FLAGS_points);
  o.data_seed = absl::GetFlag(FLAGS_data_seed);
  o.data_file = absl::GetFlag(FLAGS_data);
  for (const std::string& item : absl::GetFlag(FLAGS_set)) {
    const std::vector<std::string> kv = absl::StrSplit(item, '=');
    const TrainerOptionSpec* spec =
        kv.size() == 2 ? FindTrainerOption(kv[0]) : nullptr;
    if (spec == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "set: '", item, "' is not name=value with a trainer option name"));
    }
    RETURN_IF_ERROR(ParseTrainerOption(*spec, kv[1], o.trainer));
  }
  o.trainer.seed = absl::GetFlag(FLAGS_seed);
  o.trainer.device = o.rendezvous.device;
  o.model_dir = absl::GetFlag(FLAGS_model_dir);
  o.name = absl::GetFlag(FLAGS_name);
  o.progress_log = absl::GetFlag(FLAGS_progress_log);
  o.rank_model_out = absl::GetFlag(FLAGS_rank_model_out);
  return o;
}

absl::Status Run() {
  if (absl::GetFlag(FLAGS_allreduce_bench)) {
    ASSIGN_OR_RETURN(RendezvousOptions rendezvous, RendezvousFromFlags());
    std::vector<int64_t> sizes;
    for (const std::string& text : absl::GetFlag(FLAGS_allreduce_sizes)) {
      int64_t size = 0;
      if (!absl::SimpleAtoi(text, &size) || size < 1 || size > (1 << 28)) {
        return absl::InvalidArgumentError(
            absl::StrCat("allreduce_sizes: '", text, "' is not in [1, 2^28]"));
      }
      sizes.push_back(size);
    }
    const int repeats = absl::GetFlag(FLAGS_repeats);
    if (repeats < 1 || repeats > 100000) {
      return absl::InvalidArgumentError("repeats: must be in [1, 100000]");
    }
    return RunAllReduceBench(rendezvous, sizes, repeats, std::cout);
  }
  ASSIGN_OR_RETURN(TrainWorkerOptions options, OptionsFromFlags());
  return RunTrainWorker(options, std::cout);
}

}  // namespace
}  // namespace jkoflow

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "one rank of a data-parallel jkoflow training job.\nUsage: "
      "jkoflow-train-worker --rank=R --world_size=W --rendezvous=host:port "
      "[--flag=value ...]");
  // --help lists this program's flags (defined in this file).
  jkoflow::HelpListsFlagsFrom("worker/main.cc");
  absl::ParseCommandLine(argc, argv);
  jkoflow::SetUpCompute(jkoflow::ThreadsOrCores(absl::GetFlag(FLAGS_threads)));
  const absl::Status status = jkoflow::Run();
  if (!status.ok()) {
    std::cerr << "jkoflow-train-worker: rank " << jkoflow::RankFromFlagOrJob()
              << ": " << status << std::endl;
    return 1;
  }
  return 0;
}
