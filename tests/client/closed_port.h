#ifndef JKOFLOW_TESTS_CLIENT_CLOSED_PORT_H_
#define JKOFLOW_TESTS_CLIENT_CLOSED_PORT_H_

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace jkoflow {

// ClosedPortAddress() returns "127.0.0.1:<port>" for a loopback port that
// nothing listens on (bound to port 0, then released), or "" on failure.
inline std::string ClosedPortAddress() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  const bool ok =
      bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  close(fd);
  return ok ? absl::StrCat("127.0.0.1:", ntohs(addr.sin_port)) : "";
}

}  // namespace jkoflow

#endif  // JKOFLOW_TESTS_CLIENT_CLOSED_PORT_H_
