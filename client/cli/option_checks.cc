#include "client/cli/option_checks.h"

#include <cmath>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace jkoflow {
namespace {

// A validator of numbers for which `accept(v)` holds, shown in the help as
// `tag` and described in errors as "expected <what>".
template <typename Accept>
CLI::Validator NumberCheck(const std::string& tag, const std::string& what,
                           Accept accept) {
  return CLI::Validator(
      [what, accept](std::string& text) -> std::string {
        double v = 0;
        if (absl::SimpleAtod(text, &v) && std::isfinite(v) && accept(v)) {
          return "";
        }
        return absl::StrCat("expected ", what, ", got '", text, "'");
      },
      tag);
}

}  // namespace

CLI::Validator FiniteNumber() {
  return NumberCheck("FINITE", "a finite number", [](double) { return true; });
}

CLI::Validator AtLeast(double lo) {
  return NumberCheck(absl::StrCat(">=", lo), absl::StrCat("a number >= ", lo),
                     [lo](double v) { return v >= lo; });
}

CLI::Validator Positive() {
  return NumberCheck("POSITIVE", "a number > 0",
                     [](double v) { return v > 0; });
}

CLI::Validator NotAFlag() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (!absl::StartsWith(text, "--")) return "";
        return absl::StrCat("missing value (got the flag '", text, "')");
      },
      "");
}

void CheckTextValues(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) {
    if (option->get_type_name() == "TEXT") option->check(NotAFlag());
  }
  for (CLI::App* sub : app.get_subcommands({})) CheckTextValues(*sub);
}

}  // namespace jkoflow
