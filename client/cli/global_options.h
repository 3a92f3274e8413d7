#ifndef JKOFLOW_CLIENT_CLI_GLOBAL_OPTIONS_H_
#define JKOFLOW_CLIENT_CLI_GLOBAL_OPTIONS_H_

#include <string>

#include "absl/status/statusor.h"
#include "client/client.h"

namespace CLI {
class App;
}  // namespace CLI

namespace jkoflow {

// GlobalOptions are the `jkoflow` options that say how to reach the server;
// they may come before or after the command (the last one given wins).
struct GlobalOptions {
  std::string server = "127.0.0.1:50051";
  double timeout = 30;  // seconds, > 0
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  std::string token_file;
  std::string lb;
};

// kGlobalOptionsFooter is what a command's help says about them.
inline constexpr char kGlobalOptionsFooter[] =
    "global flags (before or after the command; 'jkoflow --help' explains "
    "them):\n  --server --timeout --tls_ca --tls_cert --tls_key --token_file "
    "--lb";

// AddGlobalOptions() registers the options on `jkoflow`, the top-level
// app, writing into `options` (which must outlive parsing).
void AddGlobalOptions(CLI::App& jkoflow, GlobalOptions& options);

// ToClientOptions() turns parsed options into the client's, reading the
// token from --token_file (surrounding whitespace dropped), else
// $JKOFLOW_TOKEN. InvalidArgument when the token file cannot be read.
absl::StatusOr<ClientOptions> ToClientOptions(const GlobalOptions& options);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_CLI_GLOBAL_OPTIONS_H_
