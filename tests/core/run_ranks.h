#ifndef JKOFLOW_TESTS_CORE_RUN_RANKS_H_
#define JKOFLOW_TESTS_CORE_RUN_RANKS_H_

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "core/process_group_collective.h"
#include "loopback.h"

namespace jkoflow {

// RunRanks() runs body(rank, collective) for `world` ranks, each on its own
// thread with its own Gloo process group over loopback.
inline void RunRanks(int world,
                     const std::function<void(int, Collective&)>& body) {
  absl::StatusOr<int> port = integration::FreeLoopbackPort();
  ASSERT_TRUE(port.ok()) << port.status();
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r) {
    threads.emplace_back([&, r] {
      RendezvousOptions o;
      o.rank = r;
      o.world_size = world;
      o.port = *port;
      o.timeout = std::chrono::seconds(30);
      absl::StatusOr<std::unique_ptr<Collective>> collective =
          ConnectProcessGroup(o);
      ASSERT_TRUE(collective.ok()) << collective.status();
      EXPECT_EQ((*collective)->Backend(), "gloo");
      body(r, **collective);
    });
  }
  for (std::thread& t : threads) t.join();
}

}  // namespace jkoflow

#endif  // JKOFLOW_TESTS_CORE_RUN_RANKS_H_
