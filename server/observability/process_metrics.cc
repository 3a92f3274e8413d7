#include "server/observability/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace jkoflow {
namespace {

// Family() is one metric family with a single unlabelled value.
prometheus::MetricFamily Family(const char* name, const char* help,
                                prometheus::MetricType type, double value) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(metric);
  return family;
}

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// BootTime() is the system's boot time (Unix seconds) from /proc/stat, or
// a negative value.
double BootTime() {
  for (absl::string_view line : absl::StrSplit(ReadFile("/proc/stat"), '\n')) {
    if (absl::ConsumePrefix(&line, "btime ")) {
      double seconds = 0;
      if (absl::SimpleAtod(line, &seconds)) return seconds;
    }
  }
  return -1;
}

}  // namespace

namespace {

// AddStatFamilies() appends the families read from /proc/self/stat: the
// fields after the command name "(...)", which may itself hold spaces;
// utime, stime, starttime, vsize and rss are fields 14, 15, 22, 23 and 24
// of the whole line (1-based).
void AddStatFamilies(std::vector<prometheus::MetricFamily>& families) {
  using prometheus::MetricType;
  const std::string stat = ReadFile("/proc/self/stat");
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return;
  const std::vector<absl::string_view> fields = absl::StrSplit(
      absl::string_view(stat).substr(close + 1), ' ', absl::SkipEmpty());
  // fields[0] is field 3 (the state).
  const auto field = [&](int number, double* value) {
    const size_t index = static_cast<size_t>(number - 3);
    return index < fields.size() && absl::SimpleAtod(fields[index], value);
  };
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  double utime = 0, stime = 0, start = 0, vsize = 0, rss = 0;
  if (field(14, &utime) && field(15, &stime) && ticks > 0) {
    families.push_back(Family("process_cpu_seconds_total",
                              "User and system CPU time spent, in seconds.",
                              MetricType::Counter, (utime + stime) / ticks));
  }
  if (field(23, &vsize)) {
    families.push_back(Family("process_virtual_memory_bytes",
                              "Virtual memory size in bytes.",
                              MetricType::Gauge, vsize));
  }
  if (field(24, &rss) && page > 0) {
    families.push_back(Family("process_resident_memory_bytes",
                              "Resident memory size in bytes.",
                              MetricType::Gauge, rss * page));
  }
  const double boot = BootTime();
  if (field(22, &start) && ticks > 0 && boot >= 0) {
    families.push_back(Family("process_start_time_seconds",
                              "Start time of the process since the Unix "
                              "epoch, in seconds.",
                              MetricType::Gauge, boot + start / ticks));
  }
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> families;
  AddStatFamilies(families);
  std::error_code ec;
  double open = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end;
       !ec && it != end; it.increment(ec)) {
    ++open;
  }
  if (!ec) {
    families.push_back(Family("process_open_fds",
                              "Number of open file descriptors.",
                              MetricType::Gauge, open));
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    families.push_back(
        Family("process_max_fds", "Maximum number of open file descriptors.",
               MetricType::Gauge, static_cast<double>(limit.rlim_cur)));
  }
  return families;
}

}  // namespace jkoflow
