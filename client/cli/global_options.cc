#include "client/cli/global_options.h"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "client/cli/option_checks.h"

namespace jkoflow {
namespace {

absl::StatusOr<std::string> ReadToken(const std::string& token_file) {
  if (token_file.empty()) {
    const char* env = std::getenv("JKOFLOW_TOKEN");
    return std::string(env == nullptr ? "" : env);
  }
  std::ifstream in(token_file, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--token_file: cannot read ", token_file));
  }
  return std::string(absl::StripAsciiWhitespace(text.str()));
}

}  // namespace

void AddGlobalOptions(CLI::App& jkoflow, GlobalOptions& options) {
  const auto add = [&jkoflow](const std::string& name, auto& value,
                              const std::string& help) {
    return jkoflow.add_option(name, value, help)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  };
  add("--server", options.server, "server address HOST:PORT")
      ->capture_default_str();
  add("--timeout", options.timeout, "deadline of each call, in seconds")
      ->check(Positive())
      ->capture_default_str();
  add("--tls_ca", options.tls_ca,
      "PEM CA that signed the server's certificate (turns TLS on)");
  add("--tls_cert", options.tls_cert,
      "PEM client certificate (with --tls_key; servers with mutual TLS)");
  add("--tls_key", options.tls_key, "PEM private key of --tls_cert");
  add("--token_file", options.token_file,
      "file holding the bearer token (default: $JKOFLOW_TOKEN)");
  add("--lb", options.lb,
      "gRPC load-balancing policy, e.g. round_robin with a dns:/// server "
      "(default: gRPC's pick_first)");
}

absl::StatusOr<ClientOptions> ToClientOptions(const GlobalOptions& options) {
  ClientOptions client;
  client.server = options.server;
  client.timeout = absl::Seconds(options.timeout);
  client.security.tls_ca_file = options.tls_ca;
  client.security.tls_cert_file = options.tls_cert;
  client.security.tls_key_file = options.tls_key;
  client.load_balancing_policy = options.lb;
  ASSIGN_OR_RETURN(client.security.token, ReadToken(options.token_file));
  return client;
}

}  // namespace jkoflow
