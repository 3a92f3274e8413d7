#include "base/host_port.h"

#include <gtest/gtest.h>

namespace jkoflow {
namespace {

TEST(HostPortTest, ParsesHostsAndPorts) {
  auto v4 = ParseHostPort("127.0.0.1:50051", "--listen");
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 50051);
  auto v6 = ParseHostPort("[::1]:0", "--listen");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->host, "[::1]");
  EXPECT_EQ(v6->port, 0);
  EXPECT_EQ(Unbracketed(v6->host), "::1");
  EXPECT_EQ(Unbracketed("localhost"), "localhost");
}

TEST(HostPortTest, RefusesWhatIsNotHostColonPort) {
  for (const char* bad : {"localhost", "host:", "host:http", "host:-1",
                          "host:65536", "host:80x"}) {
    auto parsed = ParseHostPort(bad, "--http_listen");
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(
        parsed.status().message(),
        std::string("--http_listen: expected host:port, got \"") + bad + "\"");
  }
}

TEST(HostPortTest, HostPartKeepsWhatHasNoPort) {
  EXPECT_EQ(HostPart("0.0.0.0:80"), "0.0.0.0");
  EXPECT_EQ(HostPart("[::]:80"), "[::]");
  EXPECT_EQ(HostPart("unix-socket-name"), "unix-socket-name");
}

}  // namespace
}  // namespace jkoflow
