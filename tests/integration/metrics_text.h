#ifndef JKOFLOW_TESTS_INTEGRATION_METRICS_TEXT_H_
#define JKOFLOW_TESTS_INTEGRATION_METRICS_TEXT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace jkoflow {
namespace integration {

// MetricSample is one line of the Prometheus text exposition format:
// `name{label="value",...} value`.
struct MetricSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// ParseMetrics() parses a /metrics page (comments skipped). DATA_LOSS names
// the first malformed line.
absl::StatusOr<std::vector<MetricSample>> ParseMetrics(const std::string& text);

// SumMetric() adds the values of every sample called `name` whose labels
// include all of `labels`; `found` (if not null) tells whether any matched.
double SumMetric(const std::vector<MetricSample>& samples,
                 const std::string& name,
                 const std::map<std::string, std::string>& labels = {},
                 bool* found = nullptr);

// ScrapeMetrics() GETs http://<address>/metrics and parses it.
absl::StatusOr<std::vector<MetricSample>> ScrapeMetrics(
    const std::string& address);

}  // namespace integration
}  // namespace jkoflow

#endif  // JKOFLOW_TESTS_INTEGRATION_METRICS_TEXT_H_
