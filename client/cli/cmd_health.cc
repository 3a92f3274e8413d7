// The `health` subcommand: the server's grpc.health.v1 status, for
// container HEALTHCHECKs and scripts.

#include <string>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "client/cli/command.h"

namespace jkoflow {
namespace {

absl::Status RunHealth(CommandContext& context) {
  const std::string service = context.flags.String("service");
  ASSIGN_OR_RETURN(const std::string status, context.client.Health(service));
  context.out << status << "\n";
  if (status != "SERVING") {
    return absl::UnavailableError(
        absl::StrCat(service.empty() ? "the server" : service, " is ", status));
  }
  return absl::OkStatus();
}

}  // namespace

Command HealthCommand() {
  return {"health",
          "[--service=NAME]",
          "Print the server's health (grpc.health.v1); exit 0 only when it "
          "is SERVING.",
          {{"service", FlagType::kString,
            "a service to ask about, e.g. jkoflow.v1.FlowService (default: "
            "the server as a whole)",
            false, ""}},
          RunHealth};
}

}  // namespace jkoflow
