#include "client/cli/flag_parser.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"

namespace jkoflow {
namespace {

const FlagSpec* FindSpec(const std::vector<FlagSpec>& specs,
                         const std::string& name) {
  for (const FlagSpec& spec : specs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

bool ParseBool(const std::string& text, bool* value) {
  if (text == "true" || text == "1" || text == "yes") {
    *value = true;
    return true;
  }
  if (text == "false" || text == "0" || text == "no") {
    *value = false;
    return true;
  }
  return false;
}

// Checks that `value` is of the spec's type.
absl::Status CheckValue(const FlagSpec& spec, const std::string& value) {
  const char* expected = nullptr;
  switch (spec.type) {
    case FlagType::kString:
      return absl::OkStatus();
    case FlagType::kInt: {
      int64_t v;
      if (!absl::SimpleAtoi(value, &v)) expected = "an integer";
      break;
    }
    case FlagType::kUint: {
      uint64_t v;
      if (!absl::SimpleAtoi(value, &v)) expected = "a non-negative integer";
      break;
    }
    case FlagType::kDouble: {
      double v;
      if (!absl::SimpleAtod(value, &v) || !std::isfinite(v)) {
        expected = "a finite number";
      }
      break;
    }
    case FlagType::kBool: {
      bool v;
      if (!ParseBool(value, &v)) expected = "true or false";
      break;
    }
  }
  if (expected == nullptr) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "--", spec.name, ": expected ", expected, ", got '", value, "'"));
}

const char* ValueName(FlagType type) {
  switch (type) {
    case FlagType::kString:
      return "=STRING";
    case FlagType::kInt:
      return "=INT";
    case FlagType::kUint:
      return "=UINT";
    case FlagType::kDouble:
      return "=NUM";
    case FlagType::kBool:
      return "";
  }
  return "";
}

// CheckValuesFollow() refuses a flag that takes a value but is followed by
// another flag or nothing: CLI11 would take "--model --n=1" as model
// "--n=1", and a flag's value never starts with "--" here.
absl::Status CheckValuesFollow(const std::vector<std::string>& args,
                               const std::vector<FlagSpec>& specs) {
  for (size_t i = 0; i < args.size(); ++i) {
    const FlagSpec* spec = absl::StartsWith(args[i], "--")
                               ? FindSpec(specs, args[i].substr(2))
                               : nullptr;
    if (spec != nullptr && spec->type != FlagType::kBool &&
        (i + 1 == args.size() || absl::StartsWith(args[i + 1], "--"))) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", spec->name, ": missing value"));
    }
  }
  return absl::OkStatus();
}

// ParseWithCli11() lets `app` match the flags and their values, and turns
// CLI11's exceptions into INVALID_ARGUMENT with our wording.
absl::Status ParseWithCli11(CLI::App& app,
                            const std::vector<std::string>& args) {
  try {
    app.parse(std::vector<std::string>(args.rbegin(), args.rend()));
  } catch (const CLI::ExtrasError&) {
    const std::string extra =
        app.remaining().empty() ? std::string() : app.remaining().front();
    if (!absl::StartsWith(extra, "--") || extra.size() == 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", extra, "'"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("unknown flag ", extra.substr(0, extra.find('='))));
  } catch (const CLI::ArgumentMismatch& e) {
    // "--name: ..." from CLI11: given twice, or without its value.
    const std::string what = e.what();
    const std::string name = what.substr(0, what.find(':'));
    return absl::InvalidArgumentError(absl::StrCat(
        name, absl::StrContains(what, "received") ? ": given more than once"
                                                  : ": missing value"));
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }
  return absl::OkStatus();
}

}  // namespace

bool ParsedFlags::Has(const std::string& name) const {
  return given_.count(name) > 0;
}

std::string ParsedFlags::String(const std::string& name) const {
  auto it = given_.find(name);
  if (it != given_.end()) return it->second;
  it = defaults_.find(name);
  return it != defaults_.end() ? it->second : std::string();
}

int64_t ParsedFlags::Int(const std::string& name) const {
  int64_t v = 0;
  return absl::SimpleAtoi(String(name), &v) ? v : 0;
}

uint64_t ParsedFlags::Uint(const std::string& name) const {
  uint64_t v = 0;
  return absl::SimpleAtoi(String(name), &v) ? v : 0;
}

double ParsedFlags::Double(const std::string& name) const {
  double v = 0;
  return absl::SimpleAtod(String(name), &v) ? v : 0;
}

bool ParsedFlags::Bool(const std::string& name) const {
  bool v = false;
  return ParseBool(String(name), &v) && v;
}

absl::StatusOr<ParsedFlags> ParseFlags(const std::vector<std::string>& args,
                                       const std::vector<FlagSpec>& specs) {
  ParsedFlags flags;
  for (const FlagSpec& spec : specs) {
    if (spec.default_value.empty()) continue;
    if (absl::Status s = CheckValue(spec, spec.default_value); !s.ok()) {
      return absl::InternalError(absl::StrCat("bad default: ", s.message()));
    }
    flags.defaults_[spec.name] = spec.default_value;
  }
  RETURN_IF_ERROR(CheckValuesFollow(args, specs));

  // CLI11 matches the flags and their values; the types are checked below.
  CLI::App app;
  app.set_help_flag();
  app.allow_extras(false);
  app.add_flag("-h,--help", flags.help_);
  std::map<std::string, std::string> values;
  std::map<std::string, CLI::Option*> options;
  for (const FlagSpec& spec : specs) {
    // A positional spec is both "name" (bare) and "--name" to CLI11.
    CLI::Option* option = app.add_option(
        (spec.positional ? spec.name + "," : "") + "--" + spec.name,
        values[spec.name]);
    option->multi_option_policy(CLI::MultiOptionPolicy::Throw);
    // A boolean flag alone means true; --name=false also works.
    if (spec.type == FlagType::kBool)
      option->expected(0, 1)->default_str("true");
    options[spec.name] = option;
  }
  RETURN_IF_ERROR(ParseWithCli11(app, args));
  for (const FlagSpec& spec : specs) {
    if (options[spec.name]->count() == 0) continue;
    RETURN_IF_ERROR(CheckValue(spec, values[spec.name]));
    flags.given_[spec.name] = values[spec.name];
  }
  if (flags.help_) return flags;
  for (const FlagSpec& spec : specs) {
    if (spec.required && !flags.Has(spec.name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("missing required flag --", spec.name));
    }
  }
  return flags;
}

std::string FormatFlagHelp(const std::vector<FlagSpec>& specs) {
  size_t width = 0;
  std::vector<std::string> names;
  for (const FlagSpec& spec : specs) {
    names.push_back(absl::StrCat("--", spec.name, ValueName(spec.type)));
    width = std::max(width, names.back().size());
  }
  std::string out;
  for (size_t i = 0; i < specs.size(); ++i) {
    std::string note;
    if (specs[i].required) {
      note = " (required)";
    } else if (!specs[i].default_value.empty()) {
      note = absl::StrCat(" (default ", specs[i].default_value, ")");
    }
    if (specs[i].positional) note += " (or positional)";
    absl::StrAppendFormat(&out, "  %-*s  %s%s\n", static_cast<int>(width),
                          names[i], specs[i].help, note);
  }
  return out;
}

}  // namespace jkoflow
