#ifndef JKOFLOW_CORE_PROCESS_GROUP_COLLECTIVE_H_
#define JKOFLOW_CORE_PROCESS_GROUP_COLLECTIVE_H_

#include <torch/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/collective.h"

namespace jkoflow {

// RendezvousOptions say how the ranks of one training job find each other:
// rank 0 serves a c10d TCPStore on `port` (all interfaces) and every rank
// connects to host:port.
struct RendezvousOptions {
  int rank = 0;
  int world_size = 1;
  std::string host = "127.0.0.1";
  int port = 29500;
  // Limit for the rendezvous and for every collective: a rank that dies or
  // hangs makes the others fail within it.
  std::chrono::milliseconds timeout = std::chrono::seconds(60);
  // Tensors live here: Gloo on the CPU, NCCL on CUDA (when LibTorch was
  // built with it).
  torch::Device device = torch::Device("cpu");
};

// ParseRendezvous() splits "host:port" into `options` (port in [1, 65535]).
absl::Status ParseRendezvous(const std::string& address,
                             RendezvousOptions& options);

// ValidateRendezvousOptions() checks rank, world size, port and timeout.
absl::Status ValidateRendezvousOptions(const RendezvousOptions& options);

// ConnectProcessGroup() joins the process group described by `options` (a
// torch c10d TCPStore rendezvous, then ProcessGroupGloo or, for a CUDA
// device, ProcessGroupNCCL). UNAVAILABLE when the peers do not all arrive
// within the timeout; UNIMPLEMENTED for a CUDA device without NCCL.
absl::StatusOr<std::unique_ptr<Collective>> ConnectProcessGroup(
    const RendezvousOptions& options);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_PROCESS_GROUP_COLLECTIVE_H_
