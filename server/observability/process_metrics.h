#ifndef JKOFLOW_SERVER_OBSERVABILITY_PROCESS_METRICS_H_
#define JKOFLOW_SERVER_OBSERVABILITY_PROCESS_METRICS_H_

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <vector>

namespace jkoflow {

// ProcessMetrics reports the server process itself under the standard
// Prometheus names, read from /proc at each scrape:
//   process_resident_memory_bytes   gauge
//   process_virtual_memory_bytes    gauge
//   process_cpu_seconds_total       counter (user + system)
//   process_open_fds                gauge
//   process_max_fds                 gauge
//   process_start_time_seconds      gauge (Unix time)
// A value that cannot be read is left out of that scrape. Linux only;
// thread-safe.
class ProcessMetrics final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_OBSERVABILITY_PROCESS_METRICS_H_
