// TLS and mutual TLS (--tls_cert, --tls_key, --tls_client_ca) against a real
// jkoflow-server, with a throwaway CA and certificates made by the openssl
// command at test time: who can connect, who cannot, the start-up checks on
// the files, and the CLI's --tls_ca and --token_file.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/client.h"
#include "scratch_dir.h"
#include "server_process.h"
#include "status_assert.h"
#include "subprocess.h"

#ifndef JKOFLOW_OPENSSL_BINARY
#error "JKOFLOW_OPENSSL_BINARY must name the openssl executable"
#endif

namespace jkoflow {
namespace integration {
namespace {

// Pki is a CA, a server certificate for 127.0.0.1 and localhost and a
// client certificate, all signed by the CA, plus a key that matches none.
struct Pki {
  std::string ca, server_cert, server_key, client_cert, client_key, stray_key;
};

// OpenSsl() runs the openssl command with `args`; a missing binary or a
// failure fails the test (it does not skip).
void OpenSsl(const ScratchDir& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {JKOFLOW_OPENSSL_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<CommandResult> result =
      RunCommand(argv, dir.Sub("openssl.out"), absl::Seconds(60));
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->exit.Exited(0))
      << absl::StrJoin(argv, " ") << ": " << result->exit.ToString() << "\n"
      << result->output;
}

// MakeCert() makes an EC key `name`.key and a certificate `name`.pem signed
// by the CA, with the extensions in `ext`.
void MakeCert(const ScratchDir& dir, const std::string& name,
              const std::string& ext) {
  { std::ofstream(dir.Sub(name + ".ext")) << ext << "\n"; }
  ASSERT_NO_FATAL_FAILURE(OpenSsl(
      dir, {"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", dir.Sub(name + ".key"), "-out",
            dir.Sub(name + ".csr"), "-subj", "/CN=" + name}));
  ASSERT_NO_FATAL_FAILURE(OpenSsl(
      dir,
      {"x509", "-req", "-in", dir.Sub(name + ".csr"), "-CA", dir.Sub("ca.pem"),
       "-CAkey", dir.Sub("ca.key"), "-CAcreateserial", "-days", "2", "-out",
       dir.Sub(name + ".pem"), "-extfile", dir.Sub(name + ".ext")}));
}

void MakePki(const ScratchDir& dir, Pki* pki) {
  ASSERT_NO_FATAL_FAILURE(OpenSsl(
      dir,
      {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-nodes", "-keyout", dir.Sub("ca.key"), "-out", dir.Sub("ca.pem"),
       "-days", "2", "-subj", "/CN=jkoflow test CA"}));
  ASSERT_NO_FATAL_FAILURE(
      MakeCert(dir, "server", "subjectAltName=IP:127.0.0.1,DNS:localhost"));
  ASSERT_NO_FATAL_FAILURE(
      MakeCert(dir, "client", "extendedKeyUsage=clientAuth"));
  ASSERT_NO_FATAL_FAILURE(
      OpenSsl(dir, {"genpkey", "-algorithm", "EC", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-out", dir.Sub("stray.key")}));
  pki->ca = dir.Sub("ca.pem");
  pki->server_cert = dir.Sub("server.pem");
  pki->server_key = dir.Sub("server.key");
  pki->client_cert = dir.Sub("client.pem");
  pki->client_key = dir.Sub("client.key");
  pki->stray_key = dir.Sub("stray.key");
}

// Listed() is ListModels() through a client with `security`.
absl::Status Listed(const ServerProcess& server, ClientSecurity security) {
  ClientOptions options;
  options.server = server.address();
  options.timeout = absl::Seconds(10);
  options.security = std::move(security);
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Create(std::move(options));
  if (!client.ok()) return client.status();
  return (*client)->ListModels().status();
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(MakePki(pki_dir_, &pki_)); }

  absl::StatusOr<std::unique_ptr<ServerProcess>> StartServer(
      std::vector<std::string> flags) {
    ServerProcess::Options options;
    options.dir = dir_.path();
    options.flags = std::move(flags);
    return ServerProcess::Start(options);
  }

  ScratchDir pki_dir_{"tls_pki"};
  ScratchDir dir_{"tls"};
  Pki pki_;
};

TEST_F(TlsTest, ServesTlsOnly) {
  ASSERT_OK_AND_ASSIGN(auto server,
                       StartServer({"--tls_cert=" + pki_.server_cert,
                                    "--tls_key=" + pki_.server_key}));
  ClientSecurity tls;
  tls.tls_ca_file = pki_.ca;
  EXPECT_OK(Listed(*server, tls));
  EXPECT_FALSE(Listed(*server, ClientSecurity()).ok());
}

TEST_F(TlsTest, MutualTlsNeedsAClientCertificateFromTheCa) {
  ASSERT_OK_AND_ASSIGN(auto server,
                       StartServer({"--tls_cert=" + pki_.server_cert,
                                    "--tls_key=" + pki_.server_key,
                                    "--tls_client_ca=" + pki_.ca}));
  ClientSecurity no_cert;
  no_cert.tls_ca_file = pki_.ca;
  EXPECT_FALSE(Listed(*server, no_cert).ok());
  ClientSecurity with_cert = no_cert;
  with_cert.tls_cert_file = pki_.client_cert;
  with_cert.tls_key_file = pki_.client_key;
  EXPECT_OK(Listed(*server, with_cert));
  // A certificate from the CA presented with a key that is not its own
  // cannot finish the handshake.
  ClientSecurity wrong_key = no_cert;
  wrong_key.tls_cert_file = pki_.client_cert;
  wrong_key.tls_key_file = pki_.stray_key;
  EXPECT_FALSE(Listed(*server, wrong_key).ok());
}

TEST_F(TlsTest, RefusesToStartNamingTheBadFile) {
  auto mismatched = StartServer(
      {"--tls_cert=" + pki_.server_cert, "--tls_key=" + pki_.stray_key});
  ASSERT_FALSE(mismatched.ok());
  EXPECT_TRUE(absl::StrContains(mismatched.status().message(),
                                "--tls_key " + pki_.stray_key))
      << mismatched.status();
  const std::string missing = pki_dir_.Sub("missing.pem");
  auto unreadable =
      StartServer({"--tls_cert=" + missing, "--tls_key=" + pki_.server_key});
  ASSERT_FALSE(unreadable.ok());
  EXPECT_TRUE(
      absl::StrContains(unreadable.status().message(), "--tls_cert " + missing))
      << unreadable.status();
  auto bad_ca = StartServer({"--tls_cert=" + pki_.server_cert,
                             "--tls_key=" + pki_.server_key,
                             "--tls_client_ca=" + pki_.server_key});
  ASSERT_FALSE(bad_ca.ok());
  EXPECT_TRUE(absl::StrContains(bad_ca.status().message(),
                                "--tls_client_ca " + pki_.server_key))
      << bad_ca.status();
}

TEST_F(TlsTest, CliTakesTheCaAndATokenFile) {
  const std::string tokens = dir_.Sub("tokens");
  std::ofstream(tokens) << "cli-token-1 read\n";
  ASSERT_EQ(chmod(tokens.c_str(), 0600), 0);
  ASSERT_OK_AND_ASSIGN(auto server,
                       StartServer({"--tls_cert=" + pki_.server_cert,
                                    "--tls_key=" + pki_.server_key,
                                    "--auth_token_file=" + tokens}));
  const std::string token_file = dir_.Sub("my-token");
  std::ofstream(token_file) << "cli-token-1\n";
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(),
                {JKOFLOW_CLI_BINARY, "--server=" + server->address(),
                 "--tls_ca=" + pki_.ca});
    return RunCommand(args, dir_.Sub("cli.out"), absl::Seconds(60));
  };
  ASSERT_OK_AND_ASSIGN(CommandResult ok,
                       run({"--token_file=" + token_file, "models"}));
  EXPECT_TRUE(ok.exit.Exited(0)) << ok.output;
  ASSERT_OK_AND_ASSIGN(CommandResult anonymous, run({"models"}));
  EXPECT_FALSE(anonymous.exit.Exited(0)) << anonymous.output;
  EXPECT_TRUE(absl::StrContains(anonymous.output, "UNAUTHENTICATED"))
      << anonymous.output;
}

}  // namespace
}  // namespace integration
}  // namespace jkoflow
