// The `loglik` subcommand: log-likelihoods of points read from a file.

#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "base/array_file.h"
#include "base/status_macros.h"
#include "client/cli/command.h"

namespace jkoflow {
namespace {

absl::Status RunLoglik(CommandContext& context) {
  const ParsedFlags& flags = context.flags;
  LogLikelihoodOptions options;
  const std::string method = flags.String("method");
  if (method == "exact") {
    options.method = v1::DIVERGENCE_METHOD_EXACT;
  } else if (method == "hutchinson") {
    options.method = v1::DIVERGENCE_METHOD_HUTCHINSON;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "--method: expected exact or hutchinson, got '", method, "'"));
  }
  options.probes = flags.Int("probes");
  options.seed = flags.Uint("seed");
  ASSIGN_OR_RETURN(Array2D array, ReadArrayFile(flags.String("in")));
  ASSIGN_OR_RETURN(PointMatrix points, FromArray2D(array));
  const std::string model = flags.String("model");
  ASSIGN_OR_RETURN(LogLikelihoodResult result,
                   context.client.LogLikelihood(model, flags.Int("version"),
                                                points, options));
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
  const std::string out_path = flags.String("out");
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

Command LoglikCommand() {
  return {
      "loglik",
      "MODEL points.csv|.npy [--version=V] [--out=logp.csv] "
      "[--method=exact|hutchinson] [--probes=K] [--seed=S]",
      "Compute log p(x) of each point (data to noise) and print the mean "
      "log-likelihood and the NLL in nats per point.",
      {
          {"model", FlagType::kString, "model name", true, "", true},
          {"version", FlagType::kInt, "model version; 0 = newest loaded", false,
           "0"},
          {"in", FlagType::kString, "input points, .csv or .npy", true, "",
           true},
          {"out", FlagType::kString,
           "write log p per point (one column), .csv or .npy", false, ""},
          {"method", FlagType::kString, "divergence: exact or hutchinson",
           false, "exact"},
          {"probes", FlagType::kInt,
           "Hutchinson probes per point; 0 = server's default (1)", false, "0"},
          {"seed", FlagType::kUint, "seed of the Hutchinson probes", false,
           "0"},
      },
      RunLoglik};
}

}  // namespace jkoflow
