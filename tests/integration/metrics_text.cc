#include "metrics_text.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "loopback.h"

namespace jkoflow {
namespace integration {
namespace {

absl::Status Malformed(absl::string_view line) {
  return absl::DataLossError(absl::StrCat("metrics: malformed line: ", line));
}

// ParseValue() accepts Prometheus floats, including NaN and ±Inf.
bool ParseValue(absl::string_view text, double* value) {
  const std::string s(absl::StripAsciiWhitespace(text));
  if (s.empty()) return false;
  char* end = nullptr;
  *value = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

}  // namespace

absl::StatusOr<std::vector<MetricSample>> ParseMetrics(
    const std::string& text) {
  std::vector<MetricSample> samples;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    MetricSample sample;
    absl::string_view value_text;
    const size_t brace = line.find('{');
    if (brace != absl::string_view::npos) {
      const size_t close = line.rfind('}');
      if (close == absl::string_view::npos || close < brace) {
        return Malformed(line);
      }
      sample.name = std::string(line.substr(0, brace));
      // Label values of this server contain no commas or escaped quotes.
      for (absl::string_view pair :
           absl::StrSplit(line.substr(brace + 1, close - brace - 1), ',',
                          absl::SkipEmpty())) {
        const size_t eq = pair.find('=');
        if (eq == absl::string_view::npos || pair.size() < eq + 3 ||
            pair[eq + 1] != '"' || pair.back() != '"') {
          return Malformed(line);
        }
        sample.labels[std::string(pair.substr(0, eq))] =
            std::string(pair.substr(eq + 2, pair.size() - eq - 3));
      }
      value_text = line.substr(close + 1);
    } else {
      const size_t space = line.find(' ');
      if (space == absl::string_view::npos) return Malformed(line);
      sample.name = std::string(line.substr(0, space));
      value_text = line.substr(space + 1);
    }
    // An optional timestamp may follow the value.
    value_text = absl::StripAsciiWhitespace(value_text);
    const size_t space = value_text.find(' ');
    if (space != absl::string_view::npos)
      value_text = value_text.substr(0, space);
    if (!ParseValue(value_text, &sample.value)) return Malformed(line);
    samples.push_back(std::move(sample));
  }
  return samples;
}

double SumMetric(const std::vector<MetricSample>& samples,
                 const std::string& name,
                 const std::map<std::string, std::string>& labels,
                 bool* found) {
  double sum = 0;
  bool any = false;
  for (const MetricSample& sample : samples) {
    if (sample.name != name) continue;
    bool match = true;
    for (const auto& [key, value] : labels) {
      auto it = sample.labels.find(key);
      if (it == sample.labels.end() || it->second != value) match = false;
    }
    if (!match) continue;
    any = true;
    sum += sample.value;
  }
  if (found != nullptr) *found = any;
  return sum;
}

absl::StatusOr<std::vector<MetricSample>> ScrapeMetrics(
    const std::string& address) {
  absl::StatusOr<HttpResponse> response = HttpGet(address, "/metrics");
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return absl::UnavailableError(
        absl::StrCat("GET /metrics: HTTP ", response->status));
  }
  return ParseMetrics(response->body);
}

}  // namespace integration
}  // namespace jkoflow
