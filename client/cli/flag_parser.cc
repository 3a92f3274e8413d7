#include "client/cli/flag_parser.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

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
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      flags.help_ = true;
      continue;
    }
    if (!absl::StartsWith(arg, "--") || arg.size() == 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", arg, "'"));
    }
    const size_t eq = arg.find('=');
    const std::string name =
        arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    const FlagSpec* spec = FindSpec(specs, name);
    if (spec == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    std::string value;
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else if (spec->type == FlagType::kBool) {
      value = "true";
    } else if (i + 1 < args.size() && !absl::StartsWith(args[i + 1], "--")) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, ": missing value"));
    }
    if (flags.given_.count(name) > 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, ": given more than once"));
    }
    if (absl::Status s = CheckValue(*spec, value); !s.ok()) return s;
    flags.given_[name] = value;
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
    absl::StrAppendFormat(&out, "  %-*s  %s%s\n", static_cast<int>(width),
                          names[i], specs[i].help, note);
  }
  return out;
}

}  // namespace jkoflow
