// A real Prometheus (the Debian package's /usr/bin/prometheus) scrapes a real
// jkoflow-server's /metrics, and its query API returns the server's request
// counter. Fails, naming the install script, when the prometheus binary is
// absent.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/client.h"
#include "loopback.h"
#include "nlohmann/json.hpp"
#include "scratch_dir.h"
#include "server_process.h"
#include "status_assert.h"
#include "subprocess.h"

#ifndef JKOFLOW_PROMETHEUS_BINARY
#define JKOFLOW_PROMETHEUS_BINARY "/usr/bin/prometheus"
#endif

namespace jkoflow {
namespace integration {
namespace {

// Results() is data.result of a successful instant query, else empty.
std::vector<nlohmann::json> Results(const nlohmann::json& answer) {
  if (!answer.is_object() || answer.value("status", "") != "success" ||
      !answer.contains("data") || !answer["data"].contains("result") ||
      !answer["data"]["result"].is_array()) {
    return {};
  }
  return answer["data"]["result"].get<std::vector<nlohmann::json>>();
}

// SampleValue() is the value of a vector sample ("value": [time, "1.5"]).
std::string SampleValue(const nlohmann::json& series) {
  if (!series.contains("value") || !series["value"].is_array() ||
      series["value"].size() != 2 || !series["value"][1].is_string()) {
    return "0";
  }
  return series["value"][1].get<std::string>();
}

class PrometheusTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (prometheus_ != nullptr && prometheus_->Running()) {
      prometheus_->Signal(SIGTERM);
      if (!prometheus_->Wait(absl::Seconds(30)).ok()) prometheus_->Kill();
    }
    if (server_ == nullptr) return;
    absl::StatusOr<ExitStatus> exit = server_->Terminate(absl::Seconds(60));
    ASSERT_OK(exit);
    EXPECT_TRUE(exit->Exited(0)) << exit->ToString() << "\n" << server_->Log();
  }

  // Query() runs an instant query; returns the parsed JSON answer.
  absl::StatusOr<nlohmann::json> Query(const std::string& address,
                                       const std::string& query) {
    absl::StatusOr<HttpResponse> response =
        HttpGet(address, absl::StrCat("/api/v1/query?query=", query));
    if (!response.ok()) return response.status();
    nlohmann::json json = nlohmann::json::parse(response->body, nullptr, false);
    if (json.is_discarded()) {
      return absl::DataLossError(absl::StrCat("HTTP ", response->status,
                                              ": not JSON: ", response->body));
    }
    return json;
  }

  // StartPrometheus() starts Prometheus scraping the server every second;
  // its web address goes to `web`.
  void StartPrometheus(std::string& web) {
    const std::string binary = JKOFLOW_PROMETHEUS_BINARY;
    ASSERT_EQ(access(binary.c_str(), X_OK), 0)
        << binary
        << " is not installed (deploy/install-deps.sh installs the Debian "
           "package prometheus)";
    ASSERT_OK_AND_ASSIGN(const int port, FreeLoopbackPort());
    web = absl::StrCat("127.0.0.1:", port);
    const std::string config = dir_.Sub("prometheus.yml");
    std::ofstream(config) << "global:\n"
                             "  scrape_interval: 1s\n"
                             "  evaluation_interval: 1s\n"
                             "scrape_configs:\n"
                             "  - job_name: jkoflow\n"
                             "    scrape_interval: 1s\n"
                             "    scrape_timeout: 1s\n"
                             "    static_configs:\n"
                             "      - targets: ['"
                          << server_->metrics_address() << "']\n";
    ASSERT_OK_AND_ASSIGN(
        prometheus_,
        Subprocess::Spawn(
            {binary, absl::StrCat("--config.file=", config),
             absl::StrCat("--storage.tsdb.path=", dir_.Sub("tsdb")),
             absl::StrCat("--web.listen-address=", web), "--log.level=warn"},
            log_, log_));
  }

  // ListModelsCount() polls the query API for up to 45 s (the first scrape
  // after startup, then 1 s intervals) until jkoflow_requests_total of
  // ListModels is > 0; returns it (0 if never), the last answer in `last`.
  double ListModelsCount(const std::string& web, std::string& last) {
    const absl::Time deadline = absl::Now() + absl::Seconds(45);
    double value = 0;
    while (absl::Now() < deadline && prometheus_->Running()) {
      absl::StatusOr<nlohmann::json> answer =
          Query(web, "jkoflow_requests_total");
      last = answer.ok() ? answer->dump() : answer.status().ToString();
      for (const nlohmann::json& series :
           answer.ok() ? Results(*answer) : std::vector<nlohmann::json>()) {
        if (series.value("metric", nlohmann::json::object())
                .value("method", "") == "ListModels") {
          value = std::stod(SampleValue(series));
        }
      }
      if (value > 0) break;
      absl::SleepFor(absl::Milliseconds(500));
    }
    return value;
  }

  ScratchDir dir_{"prometheus"};
  const std::string log_ = dir_.Sub("prometheus.log");
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Subprocess> prometheus_;
};

TEST_F(PrometheusTest, ScrapesRequestCounter) {
  ServerProcess::Options options;
  options.dir = dir_.path();
  ASSERT_OK_AND_ASSIGN(server_, ServerProcess::Start(options));
  std::unique_ptr<Client> client = server_->NewClient();
  for (int i = 0; i < 3; ++i) ASSERT_OK(client->ListModels());
  std::string web;
  ASSERT_NO_FATAL_FAILURE(StartPrometheus(web));

  std::string last;
  const double value = ListModelsCount(web, last);
  ASSERT_TRUE(prometheus_->Running()) << "prometheus exited:\n"
                                      << ReadFileOrEmpty(log_);
  EXPECT_GE(value, 3) << "last answer of /api/v1/query: " << last
                      << "\nprometheus log:\n"
                      << ReadFileOrEmpty(log_);

  // The target is healthy from Prometheus's side too.
  ASSERT_OK_AND_ASSIGN(const nlohmann::json up, Query(web, "up"));
  bool target_up = false;
  for (const nlohmann::json& series : Results(up)) {
    if (series.value("metric", nlohmann::json::object()).value("job", "") ==
            "jkoflow" &&
        SampleValue(series) == "1") {
      target_up = true;
    }
  }
  EXPECT_TRUE(target_up) << up.dump();
}

}  // namespace
}  // namespace integration
}  // namespace jkoflow
