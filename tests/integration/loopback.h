#ifndef JKOFLOW_TESTS_INTEGRATION_LOOPBACK_H_
#define JKOFLOW_TESTS_INTEGRATION_LOOPBACK_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace jkoflow {
namespace integration {

// FreeLoopbackPort() returns a loopback TCP port that was free a moment ago
// (bound to port 0, then released), or an error. Another process may take
// it before the caller does; callers use it only where a port must be named
// up front (a Prometheus listen address, a closed port to fail against).
absl::StatusOr<int> FreeLoopbackPort();

// HttpResponse is a parsed HTTP/1.x response.
struct HttpResponse {
  int status = 0;
  std::string body;
};

// HttpGet() fetches http://<address><path> (address "host:port", IPv4) over
// a plain socket with HTTP/1.0, within `timeout`. UNAVAILABLE when nothing
// listens; DEADLINE_EXCEEDED on a timeout.
absl::StatusOr<HttpResponse> HttpGet(
    const std::string& address, const std::string& path,
    absl::Duration timeout = absl::Seconds(10));

}  // namespace integration
}  // namespace jkoflow

#endif  // JKOFLOW_TESTS_INTEGRATION_LOOPBACK_H_
