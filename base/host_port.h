#ifndef JKOFLOW_BASE_HOST_PORT_H_
#define JKOFLOW_BASE_HOST_PORT_H_

// "host:port" addresses of the server's flags (--listen, --metrics_listen,
// --http_listen), parsed in one place.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jkoflow {

// HostPart() is the host of "host:port" as written (an IPv6 host keeps its
// brackets: "[::1]:80" → "[::1]"), or the whole address when it has no
// colon.
std::string HostPart(absl::string_view address);

// HostPort is a parsed "host:port".
struct HostPort {
  std::string host;  // as written, brackets kept
  int port = 0;      // [0, 65535]; 0: any free port
};

// ParseHostPort() parses "host:port" with a port in [0, 65535];
// INVALID_ARGUMENT "<flag>: expected host:port, got \"<address>\""
// otherwise.
absl::StatusOr<HostPort> ParseHostPort(absl::string_view address,
                                       absl::string_view flag);

// Unbracketed() is an IPv6 host without its brackets ("[::1]" → "::1"),
// as socket libraries take it; other hosts unchanged.
std::string Unbracketed(absl::string_view host);

}  // namespace jkoflow

#endif  // JKOFLOW_BASE_HOST_PORT_H_
