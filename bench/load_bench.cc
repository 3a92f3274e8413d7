// jkoflow-load: a closed-loop load generator for FlowService.Sample. Each of
// --clients threads owns a jkoflow::Client and sends Sample requests of
// --points points back to back; after --warmup_seconds it counts the points
// delivered for --seconds (or until every client has sent --requests
// requests) and prints one JSON line per figure, in the format of
// `jkoflow-bench --perf`:
//   grpc_sample_points_per_s, grpc_sample_latency_ms_p50,
//   grpc_sample_latency_ms_p99, grpc_sample_failed_requests.
// Exits non-zero if any request failed. Links the client library only (no
// LibTorch), so it measures what a remote caller sees.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "client/client.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051",
          "jkoflow-server gRPC address host:port");
ABSL_FLAG(std::string, model, "perf", "model to sample from");
ABSL_FLAG(int64_t, version, 0, "model version; 0 → the newest loaded");
ABSL_FLAG(int32_t, clients, 16,
          "concurrent clients, each a thread with its own jkoflow::Client");
ABSL_FLAG(int64_t, points, 100, "points per Sample request");
ABSL_FLAG(double, seconds, 10,
          "length of the measured window after the warm-up (ignored when "
          "--requests > 0)");
ABSL_FLAG(int64_t, requests, 0,
          "when > 0, each client sends exactly this many measured requests "
          "instead of running for --seconds");
ABSL_FLAG(double, warmup_seconds, 2,
          "requests sent before measuring (connections, first batches)");
ABSL_FLAG(uint64_t, seed, 1,
          "base seed; request r of client c uses seed + c × 2^32 + r");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(60),
          "deadline of each Sample call");
ABSL_FLAG(std::string, tag, "",
          "when not empty, added to each figure's config as \"tag\" (e.g. "
          "batching_on) so that runs can be told apart");

namespace jkoflow {
namespace {

using Clock = std::chrono::steady_clock;

// LoadConfig is what a figure was measured with.
struct LoadConfig {
  std::string model;
  int clients = 0;
  int64_t points = 0;
  double seconds = 0;  // the measured window
  double warmup_seconds = 0;
  int64_t requests = 0;  // requests completed in the window
  std::string tag;
};

void Print(const std::string& figure, double value, const std::string& unit,
           const LoadConfig& c) {
  const std::string tag =
      c.tag.empty() ? "" : absl::StrFormat(", \"tag\": \"%s\"", c.tag);
  std::printf(
      "{\"figure\": \"%s\", \"value\": %.6g, \"unit\": \"%s\", "
      "\"roofline_fraction\": null, \"config\": {\"model\": \"%s\", "
      "\"clients\": %d, \"points\": %d, \"seconds\": %.3f, "
      "\"warmup_seconds\": %.3f, \"requests\": %d%s}}\n",
      figure.c_str(), value, unit.c_str(), c.model.c_str(), c.clients,
      static_cast<int>(c.points), c.seconds, c.warmup_seconds,
      static_cast<int>(c.requests), tag.c_str());
  std::fflush(stdout);
}

// Percentile() is the nearest-rank q-quantile of sorted `values`.
double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(q * static_cast<double>(sorted.size()));
  if (rank >= sorted.size()) rank = sorted.size() - 1;
  return sorted[rank];
}

// ClientTally is one client thread's count; only that thread writes it
// until it is joined.
struct ClientTally {
  int64_t measured_requests = 0;
  std::vector<double> latencies_ms;  // of the measured requests
  int64_t failed = 0;
  std::string first_error;
};

int Run() {
  const std::string model = absl::GetFlag(FLAGS_model);
  const int64_t version = absl::GetFlag(FLAGS_version);
  const int clients = absl::GetFlag(FLAGS_clients);
  const int64_t points = absl::GetFlag(FLAGS_points);
  const double seconds = absl::GetFlag(FLAGS_seconds);
  const int64_t requests = absl::GetFlag(FLAGS_requests);
  const double warmup = absl::GetFlag(FLAGS_warmup_seconds);
  const uint64_t seed = absl::GetFlag(FLAGS_seed);
  if (clients < 1 || points < 1 || warmup < 0 || requests < 0 ||
      (requests == 0 && seconds <= 0)) {
    std::cerr << "jkoflow-load: need --clients ≥ 1, --points ≥ 1, "
                 "--warmup_seconds ≥ 0 and --seconds > 0 or --requests > 0\n";
    return 2;
  }

  ClientOptions options;
  options.server = absl::GetFlag(FLAGS_server);
  options.timeout = absl::GetFlag(FLAGS_timeout);
  std::vector<std::unique_ptr<Client>> stubs;
  for (int c = 0; c < clients; ++c) {
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(options);
    if (!client.ok()) {
      std::cerr << "jkoflow-load: " << client.status() << "\n";
      return 2;
    }
    stubs.push_back(*std::move(client));
  }

  // Timeline: warm-up from `start`, measured window from `measure_from`.
  // In --requests mode the window ends when the last client is done.
  const Clock::time_point start = Clock::now();
  const Clock::time_point measure_from =
      start + std::chrono::duration_cast<Clock::duration>(
                  std::chrono::duration<double>(warmup));
  const Clock::time_point measure_until =
      measure_from + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(seconds));
  std::vector<ClientTally> tallies(clients);
  std::vector<Clock::time_point> finished(clients, measure_from);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      ClientTally& tally = tallies[c];
      uint64_t r = 0;
      while (true) {
        const Clock::time_point sent = Clock::now();
        if (requests > 0
                ? (sent >= measure_from && tally.measured_requests >= requests)
                : sent >= measure_until) {
          break;
        }
        const uint64_t request_seed =
            seed + (static_cast<uint64_t>(c) << 32) + r++;
        absl::StatusOr<SampleResult> sample =
            stubs[c]->Sample(model, version, points, request_seed);
        const Clock::time_point done = Clock::now();
        if (sample.ok() && sample->points.rows != points) {
          sample = absl::DataLossError(absl::StrCat("DATA_LOSS: asked for ",
                                                    points, " points, got ",
                                                    sample->points.rows));
        }
        if (!sample.ok()) {
          if (tally.failed++ == 0) {
            // Client messages start with the gRPC code name.
            tally.first_error = std::string(sample.status().message());
          }
          continue;
        }
        // Measured: a request sent in the window (--requests) or completed
        // in it (--seconds).
        const bool measured =
            requests > 0 ? sent >= measure_from
                         : done >= measure_from && done <= measure_until;
        if (measured) {
          ++tally.measured_requests;
          tally.latencies_ms.push_back(
              std::chrono::duration<double, std::milli>(done - sent).count());
          finished[c] = done;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();

  int64_t measured = 0;
  int64_t failed = 0;
  std::string first_error;
  std::vector<double> latencies;
  Clock::time_point last = measure_from;
  for (int c = 0; c < clients; ++c) {
    measured += tallies[c].measured_requests;
    failed += tallies[c].failed;
    if (first_error.empty()) first_error = tallies[c].first_error;
    latencies.insert(latencies.end(), tallies[c].latencies_ms.begin(),
                     tallies[c].latencies_ms.end());
    last = std::max(last, finished[c]);
  }
  std::sort(latencies.begin(), latencies.end());
  const double window =
      requests > 0 ? std::chrono::duration<double>(last - measure_from).count()
                   : seconds;

  LoadConfig config;
  config.model = model;
  config.clients = clients;
  config.points = points;
  config.seconds = window;
  config.warmup_seconds = warmup;
  config.requests = measured;
  config.tag = absl::GetFlag(FLAGS_tag);
  const double points_per_s =
      window > 0 ? static_cast<double>(measured * points) / window : 0;
  Print("grpc_sample_points_per_s", points_per_s, "points/s", config);
  Print("grpc_sample_latency_ms_p50", Percentile(latencies, 0.50), "ms",
        config);
  Print("grpc_sample_latency_ms_p99", Percentile(latencies, 0.99), "ms",
        config);
  Print("grpc_sample_failed_requests", static_cast<double>(failed), "requests",
        config);
  if (failed > 0) {
    std::cerr << "jkoflow-load: " << failed
              << " Sample requests failed; first: " << first_error << "\n";
    return 1;
  }
  if (measured == 0) {
    std::cerr << "jkoflow-load: no request completed in the measured window\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace jkoflow

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "closed-loop Sample load against a jkoflow-server; prints JSON "
      "figures.\nUsage: jkoflow-load --server=host:port --model=NAME "
      "[--clients=16 --points=100 --seconds=10 --warmup_seconds=2]");
  const std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::cerr << "jkoflow-load: unexpected argument " << rest[1] << "\n";
    return 2;
  }
  return jkoflow::Run();
}
