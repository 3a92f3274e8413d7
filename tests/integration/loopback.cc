#include "loopback.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/host_port.h"

namespace jkoflow {
namespace integration {
namespace {

// Fd closes a socket on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// WaitFor() polls `fd` for `events` until `deadline`.
absl::Status WaitFor(int fd, short events, absl::Time deadline) {
  while (true) {
    const int ms =
        static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (ms <= 0) return absl::DeadlineExceededError("HTTP: timed out");
    pollfd p{fd, events, 0};
    const int r = poll(&p, 1, ms);
    if (r > 0) return absl::OkStatus();
    if (r < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("poll: ", std::strerror(errno)));
    }
  }
}

// Connect() opens a non-blocking TCP connection to an IPv4 "host:port".
absl::Status Connect(const Fd& fd, const std::string& address,
                     absl::Time deadline) {
  absl::StatusOr<HostPort> host_port = ParseHostPort(address, "address");
  if (!host_port.ok()) return host_port.status();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(host_port->port));
  if (inet_pton(AF_INET, host_port->host.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("address: not an IPv4 address: ", address));
  }
  if (fd.get() < 0) return absl::InternalError("socket() failed");
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) ==
      0) {
    return absl::OkStatus();
  }
  if (errno != EINPROGRESS) {
    return absl::UnavailableError(
        absl::StrCat("connect ", address, ": ", std::strerror(errno)));
  }
  absl::Status ready = WaitFor(fd.get(), POLLOUT, deadline);
  if (!ready.ok()) return ready;
  int error = 0;
  socklen_t length = sizeof(error);
  getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length);
  if (error != 0) {
    return absl::UnavailableError(
        absl::StrCat("connect ", address, ": ", std::strerror(error)));
  }
  return absl::OkStatus();
}

// SendAll() writes all of `data` before `deadline`.
absl::Status SendAll(const Fd& fd, const std::string& data,
                     absl::Time deadline) {
  size_t sent = 0;
  while (sent < data.size()) {
    absl::Status ready = WaitFor(fd.get(), POLLOUT, deadline);
    if (!ready.ok()) return ready;
    const ssize_t n =
        send(fd.get(), data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return absl::UnavailableError(
          absl::StrCat("send: ", std::strerror(errno)));
    }
    if (n > 0) sent += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// ReceiveAll() reads until the peer closes, before `deadline`.
absl::StatusOr<std::string> ReceiveAll(const Fd& fd, absl::Time deadline) {
  std::string raw;
  char buffer[16384];
  while (true) {
    absl::Status ready = WaitFor(fd.get(), POLLIN, deadline);
    if (!ready.ok()) return ready;
    const ssize_t n = recv(fd.get(), buffer, sizeof(buffer), 0);
    if (n == 0) return raw;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return absl::UnavailableError(
          absl::StrCat("recv: ", std::strerror(errno)));
    }
    raw.append(buffer, static_cast<size_t>(n));
  }
}

// ParseResponse() splits "HTTP/1.1 200 OK\r\n...\r\n\r\nbody".
absl::StatusOr<HttpResponse> ParseResponse(const std::string& raw) {
  HttpResponse response;
  const size_t space = raw.find(' ');
  const size_t header_end = raw.find("\r\n\r\n");
  if (space == std::string::npos || header_end == std::string::npos ||
      !absl::SimpleAtoi(raw.substr(space + 1, 3), &response.status)) {
    return absl::DataLossError(
        absl::StrCat("HTTP: malformed response: ", raw.substr(0, 200)));
  }
  response.body = raw.substr(header_end + 4);
  return response;
}

}  // namespace

absl::StatusOr<int> FreeLoopbackPort() {
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return absl::InternalError("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    return absl::InternalError(
        absl::StrCat("bind 127.0.0.1:0: ", std::strerror(errno)));
  }
  return static_cast<int>(ntohs(addr.sin_port));
}

absl::StatusOr<HttpResponse> HttpGet(const std::string& address,
                                     const std::string& path,
                                     absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  absl::Status connected = Connect(fd, address, deadline);
  if (!connected.ok()) return connected;
  absl::Status sent =
      SendAll(fd,
              absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: ", address,
                           "\r\nConnection: close\r\n\r\n"),
              deadline);
  if (!sent.ok()) return sent;
  absl::StatusOr<std::string> raw = ReceiveAll(fd, deadline);
  if (!raw.ok()) return raw.status();
  return ParseResponse(*raw);
}

}  // namespace integration
}  // namespace jkoflow
