#ifndef JKOFLOW_TESTS_CORE_RUN_RANKS_H_
#define JKOFLOW_TESTS_CORE_RUN_RANKS_H_

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "core/process_group_collective.h"
#include "loopback.h"

namespace jkoflow {

// FormGroup() connects `world` ranks, each on its own thread, to one Gloo
// process group over loopback on a free port; one status or collective per
// rank.
inline std::vector<absl::StatusOr<std::unique_ptr<Collective>>> FormGroup(
    int world) {
  std::vector<absl::StatusOr<std::unique_ptr<Collective>>> groups;
  absl::StatusOr<int> port = integration::FreeLoopbackPort();
  for (int r = 0; r < world; ++r) {
    groups.emplace_back(port.ok() ? absl::UnknownError("not formed")
                                  : port.status());
  }
  if (!port.ok()) return groups;
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r) {
    threads.emplace_back([&, r] {
      RendezvousOptions o;
      o.rank = r;
      o.world_size = world;
      o.port = *port;
      o.timeout = std::chrono::seconds(30);
      groups[r] = ConnectProcessGroup(o);
    });
  }
  for (std::thread& t : threads) t.join();
  return groups;
}

// RunRanks() runs body(rank, collective) for `world` ranks, each on its own
// thread with its own Gloo process group over loopback. A group that cannot
// form (the free port taken by another process between choosing and
// binding it, which ctest -j makes possible) is formed again on a new port,
// up to 3 times.
inline void RunRanks(int world,
                     const std::function<void(int, Collective&)>& body) {
  std::vector<absl::StatusOr<std::unique_ptr<Collective>>> groups;
  for (int attempt = 0; attempt < 3; ++attempt) {
    groups = FormGroup(world);
    bool formed = true;
    for (const auto& g : groups) formed = formed && g.ok();
    if (formed) break;
  }
  for (int r = 0; r < world; ++r) {
    ASSERT_TRUE(groups[r].ok()) << "rank " << r << ": " << groups[r].status();
    EXPECT_EQ((*groups[r])->Backend(), "gloo");
  }
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r) {
    threads.emplace_back([&, r] { body(r, **groups[r]); });
  }
  for (std::thread& t : threads) t.join();
}

}  // namespace jkoflow

#endif  // JKOFLOW_TESTS_CORE_RUN_RANKS_H_
