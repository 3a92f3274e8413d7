// The `export` subcommand: a model as a TorchScript archive on disk.

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include "base/atomic_file.h"
#include "base/status_macros.h"
#include "client/cli/command.h"
#include "client/cli/common_options.h"

namespace jkoflow {
namespace {

// ExportOptions are the values of `jkoflow export`'s options.
struct ExportOptions {
  std::string model;
  int64_t version = 0;
  std::string out;
};

absl::Status RunExport(CommandContext& context, const ExportOptions& options) {
  ASSIGN_OR_RETURN(v1::ExportModelResponse exported,
                   context.client.ExportModel(options.model, options.version));
  RETURN_IF_ERROR(WriteFileAtomically(options.out, exported.torchscript()));
  context.out << absl::StrFormat(
      "wrote %s: %s v%d as TorchScript, %d bytes (torch.jit.load; methods "
      "log_prob, sample, forward, inverse)\n",
      options.out, exported.name(), exported.model_version(),
      exported.torchscript().size());
  return absl::OkStatus();
}

}  // namespace

Command AddExportCommand(CLI::App& jkoflow) {
  CLI::App* command = jkoflow.add_subcommand(
      "export",
      "Write a model as a self-contained TorchScript file that PyTorch opens "
      "with torch.jit.load (docs/export.md).");
  auto options = std::make_shared<ExportOptions>();
  AddModelOption(*command, options->model, "model name");
  AddVersionOption(*command, options->version,
                   "model version; 0 = newest loaded");
  command->add_option("--out", options->out, "the file to write, e.g. model.pt")
      ->required();
  return {command, [options](CommandContext& context) {
            return RunExport(context, *options);
          }};
}

}  // namespace jkoflow
