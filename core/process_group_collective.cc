#include "core/process_group_collective.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef JKOFLOW_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "core/torch_status.h"

namespace jkoflow {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// PeerFailure() is the error of a failed collective: a peer died, hung past
// the timeout, or the transport broke.
absl::Status PeerFailure(absl::string_view what) {
  absl::Status cause = StatusFromCurrentException("");
  return absl::UnavailableError(
      absl::StrCat(what, " failed (a peer rank died, timed out or could not ",
                   "be reached): ", cause.message()));
}

// ProcessGroupCollective runs Collective's operations on a c10d process
// group `Group` (ProcessGroupGloo or ProcessGroupNCCL: a ProcessGroup in
// LibTorch 1.13, a Backend in 2.x; both have these methods).
template <typename Group>
class ProcessGroupCollective : public Collective {
 public:
  ProcessGroupCollective(c10::intrusive_ptr<c10d::Store> store,
                         c10::intrusive_ptr<Group> group, std::string backend)
      : store_(std::move(store)),
        group_(std::move(group)),
        backend_(std::move(backend)) {}

  int rank() const override { return group_->getRank(); }
  int world_size() const override { return group_->getSize(); }
  std::string Backend() const override { return backend_; }

  absl::Status AllReduceSum(torch::Tensor& tensor) override {
    absl::Status status = Timed("all-reduce", times_.all_reduce_seconds, [&] {
      std::vector<at::Tensor> tensors{tensor};
      c10d::AllreduceOptions options;
      options.reduceOp = c10d::ReduceOp::SUM;
      group_->allreduce(tensors, options)->wait();
    });
    if (status.ok()) ++times_.all_reduce_calls;
    return status;
  }

  absl::Status Broadcast(torch::Tensor& tensor, int root) override {
    return Timed("broadcast", times_.other_seconds, [&] {
      std::vector<at::Tensor> tensors{tensor};
      c10d::BroadcastOptions options;
      options.rootRank = root;
      group_->broadcast(tensors, options)->wait();
    });
  }

  absl::StatusOr<torch::Tensor> AllGatherRows(const torch::Tensor& local,
                                              int64_t rows) override {
    const int world = world_size();
    // Gloo gathers equal shapes: pad every share to the largest one.
    const int64_t largest = ShareOfRows(rows, 0, world).count;
    std::vector<int64_t> shape = local.sizes().vec();
    shape[0] = largest;
    torch::Tensor result;
    RETURN_IF_ERROR(Timed("all-gather", times_.other_seconds, [&] {
      torch::Tensor padded = torch::zeros(shape, local.options());
      padded.narrow(0, 0, local.size(0)).copy_(local);
      std::vector<std::vector<at::Tensor>> outputs(1);
      for (int r = 0; r < world; ++r) {
        outputs[0].push_back(torch::empty(shape, local.options()));
      }
      std::vector<at::Tensor> inputs{padded};
      group_->allgather(outputs, inputs)->wait();
      std::vector<at::Tensor> parts;
      for (int r = 0; r < world; ++r) {
        parts.push_back(
            outputs[0][r].narrow(0, 0, ShareOfRows(rows, r, world).count));
      }
      result = torch::cat(parts, 0);
    }));
    return result;
  }

  CollectiveTimes Times() const override { return times_; }

 private:
  // Timed() runs the collective `op` and adds its wall time to `seconds`;
  // an exception from it is PeerFailure(what).
  template <typename Op>
  static absl::Status Timed(absl::string_view what, double& seconds,
                            const Op& op) {
    const Clock::time_point start = Clock::now();
    try {
      op();
    } catch (...) {
      return PeerFailure(what);
    }
    seconds += SecondsSince(start);
    return absl::OkStatus();
  }

  c10::intrusive_ptr<c10d::Store> store_;  // outlives the group
  c10::intrusive_ptr<Group> group_;
  std::string backend_;
  CollectiveTimes times_;
};

}  // namespace

absl::Status ParseRendezvous(const std::string& address,
                             RendezvousOptions& options) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 1 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rendezvous: '", address, "' is not host:port (port in [1, 65535])"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  options.host = host;
  options.port = port;
  return absl::OkStatus();
}

absl::Status ValidateRendezvousOptions(const RendezvousOptions& o) {
  if (o.world_size < 1 || o.world_size > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("world_size: ", o.world_size, " is outside [1, 1024]"));
  }
  if (o.rank < 0 || o.rank >= o.world_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rank: ", o.rank, " is outside [0, world_size = ", o.world_size, ")"));
  }
  if (o.port < 1 || o.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("rendezvous: port ", o.port, " is outside [1, 65535]"));
  }
  if (o.host.empty()) {
    return absl::InvalidArgumentError("rendezvous: the host is empty");
  }
  if (o.timeout < std::chrono::seconds(1) ||
      o.timeout > std::chrono::hours(24)) {
    return absl::InvalidArgumentError("timeout: must be between 1 s and 24 h");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Collective>> ConnectProcessGroup(
    const RendezvousOptions& o) {
  if (absl::Status valid = ValidateRendezvousOptions(o); !valid.ok()) {
    return valid;
  }
#ifndef JKOFLOW_WITH_NCCL
  if (o.device.is_cuda()) {
    return absl::UnimplementedError(
        "this build's LibTorch has no NCCL: train on the CPU (Gloo)");
  }
#endif
  c10::intrusive_ptr<c10d::Store> store;
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<std::uint16_t>(o.port);
    store_options.isServer = o.rank == 0;
    store_options.numWorkers = o.world_size;
    // The process group waits for the peers (within the timeout).
    store_options.waitWorkers = false;
    store_options.timeout = o.timeout;
    store = c10::make_intrusive<c10d::TCPStore>(o.host, store_options);
  } catch (...) {
    return absl::UnavailableError(absl::StrCat(
        "rendezvous at ", o.host, ":", o.port, " failed for rank ", o.rank,
        " of ", o.world_size, ": ", StatusFromCurrentException("").message()));
  }
  try {
#ifdef JKOFLOW_WITH_NCCL
    if (o.device.is_cuda()) {
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = o.timeout;
      auto group = c10::make_intrusive<c10d::ProcessGroupNCCL>(
          store, o.rank, o.world_size, options);
      return std::unique_ptr<Collective>(
          new ProcessGroupCollective<c10d::ProcessGroupNCCL>(store, group,
                                                             "nccl"));
    }
#endif
    auto options = c10d::ProcessGroupGloo::Options::create(o.timeout);
    // On loopback the ranks talk over loopback; otherwise over the address
    // this host's name resolves to (a pod's IP in Kubernetes).
    options->devices.push_back(
        IsLoopback(o.host)
            ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
            : c10d::ProcessGroupGloo::createDefaultDevice());
    options->threads = 1;
    auto group = c10::make_intrusive<c10d::ProcessGroupGloo>(
        store, o.rank, o.world_size, options);
    return std::unique_ptr<Collective>(
        new ProcessGroupCollective<c10d::ProcessGroupGloo>(store, group,
                                                           "gloo"));
  } catch (...) {
    return absl::UnavailableError(absl::StrCat(
        "process group of ", o.world_size, " ranks could not form (rank ",
        o.rank, "): ", StatusFromCurrentException("").message()));
  }
}

}  // namespace jkoflow
