// The `health` subcommand: the server's grpc.health.v1 status, for
// container HEALTHCHECKs and scripts.

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "client/cli/command.h"

namespace jkoflow {
namespace {

absl::Status RunHealth(CommandContext& context, const std::string& service) {
  ASSIGN_OR_RETURN(const std::string status, context.client.Health(service));
  context.out << status << "\n";
  if (status != "SERVING") {
    return absl::UnavailableError(
        absl::StrCat(service.empty() ? "the server" : service, " is ", status));
  }
  return absl::OkStatus();
}

}  // namespace

Command AddHealthCommand(CLI::App& jkoflow) {
  CLI::App* health = jkoflow.add_subcommand(
      "health",
      "Print the server's health (grpc.health.v1); exit 0 only when it is "
      "SERVING.");
  auto service = std::make_shared<std::string>();
  health->add_option("service,--service", *service,
                     "a service to ask about, e.g. jkoflow.v1.FlowService "
                     "(default: the server as a whole)");
  return {health, [service](CommandContext& context) {
            return RunHealth(context, *service);
          }};
}

}  // namespace jkoflow
