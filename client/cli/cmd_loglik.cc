// The `loglik` subcommand: log-likelihoods of points read from a file.

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "base/array_file.h"
#include "base/status_macros.h"
#include "client/cli/command.h"
#include "client/cli/common_options.h"
#include "client/cli/option_checks.h"

namespace jkoflow {
namespace {

// LoglikFlags are the values of `jkoflow loglik`'s options.
struct LoglikFlags {
  std::string model;
  int64_t version = 0;
  std::string in;
  std::string out;
  std::string method = "exact";  // checked by the parser
  int64_t probes = 0;
  uint64_t seed = 0;
};

absl::Status RunLoglik(CommandContext& context, const LoglikFlags& flags) {
  LogLikelihoodOptions options;
  const std::string& method = flags.method;
  options.method = method == "hutchinson" ? v1::DIVERGENCE_METHOD_HUTCHINSON
                                          : v1::DIVERGENCE_METHOD_EXACT;
  options.probes = flags.probes;
  options.seed = flags.seed;
  ASSIGN_OR_RETURN(Array2D array, ReadArrayFile(flags.in));
  ASSIGN_OR_RETURN(PointMatrix points, FromArray2D(array));
  const std::string& model = flags.model;
  ASSIGN_OR_RETURN(
      LogLikelihoodResult result,
      context.client.LogLikelihood(model, flags.version, points, options));
  context.out << absl::StrFormat(
      "points: %d (dim %d), model %s version %d, method %s\n", points.rows,
      points.cols, model, result.model_version, method);
  // "± se" where the estimate has a standard error (Hutchinson, ≥ 2 probes).
  auto error = [](const std::optional<double>& se, const char* format) {
    return se.has_value() ? absl::StrFormat(format, *se) : std::string();
  };
  const std::string nats_error =
      error(result.mean_log_prob_std_error, " ± %.6f");
  context.out << absl::StrFormat(
      "mean log-likelihood: %.6f%s nats/point\nNLL: %.6f%s nats/point\n",
      result.mean_log_prob, nats_error, -result.mean_log_prob, nats_error);
  if (result.bits_per_dim.has_value()) {
    context.out << absl::StrFormat(
        "bits/dim: %.4f%s (integer data: the dequantised bound, on the "
        "data's own scale)\n",
        *result.bits_per_dim, error(result.bits_per_dim_std_error, " ± %.4f"));
  }
  if (result.mean_log_prob_std_error.has_value()) {
    context.out << absl::StrFormat(
        "± is one standard error of the Hutchinson estimate (%d probes per "
        "point)\n",
        options.probes);
  }
  const std::string& out_path = flags.out;
  if (!out_path.empty()) {
    Array2D values;
    values.rows = static_cast<int64_t>(result.log_prob.size());
    values.cols = 1;
    values.values = result.log_prob;
    RETURN_IF_ERROR(WriteArrayFile(out_path, values));
    context.out << "wrote " << out_path << "\n";
  }
  return absl::OkStatus();
}

}  // namespace

Command AddLoglikCommand(CLI::App& jkoflow) {
  CLI::App* loglik = jkoflow.add_subcommand(
      "loglik",
      "Compute log p(x) of each point (data to noise) and print the mean "
      "log-likelihood and the NLL in nats per point.");
  auto o = std::make_shared<LoglikFlags>();
  AddModelOption(*loglik, o->model, "model name");
  loglik->add_option("in,--in", o->in, "input points, .csv or .npy")
      ->required();
  AddVersionOption(*loglik, o->version, "model version; 0 = newest loaded");
  loglik->add_option("--out", o->out,
                     "write log p per point (one column), .csv or .npy");
  loglik->add_option("--method", o->method, "divergence: exact or hutchinson")
      ->check(CLI::IsMember({"exact", "hutchinson"}))
      ->capture_default_str();
  loglik
      ->add_option("--probes", o->probes,
                   "Hutchinson probes per point; 0 = server's default (1)")
      ->check(AtLeast(0));
  AddSeedOption(*loglik, o->seed, "seed of the Hutchinson probes");
  return {loglik,
          [o](CommandContext& context) { return RunLoglik(context, *o); }};
}

}  // namespace jkoflow
