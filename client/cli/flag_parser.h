#ifndef JKOFLOW_CLIENT_CLI_FLAG_PARSER_H_
#define JKOFLOW_CLIENT_CLI_FLAG_PARSER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace jkoflow {

// FlagType says how a flag's value is checked when it is parsed.
enum class FlagType { kString, kInt, kUint, kDouble, kBool };

// FlagSpec documents and types one `--name=value` flag of a command.
struct FlagSpec {
  std::string name;  // without the leading dashes
  FlagType type = FlagType::kString;
  std::string help;
  bool required = false;
  // Value used when the flag is absent (parsed like a given value; empty
  // means "none": 0, false or the empty string). Shown in the help text.
  std::string default_value;
  // Also taken as a positional argument, in the order of the positional
  // specs: `jkoflow info m` is `jkoflow info --model=m`.
  bool positional = false;
};

// ParsedFlags holds the values of one command line, already checked against
// their FlagSpecs, so the typed getters cannot fail. Asking for a name that
// has no spec is a programming error and returns the zero value.
class ParsedFlags {
 public:
  // help() says whether --help or -h was given; required flags are then not
  // checked.
  bool help() const { return help_; }
  // Has() says whether the flag was given on the command line.
  bool Has(const std::string& name) const;
  // String() returns the given value, else the default.
  std::string String(const std::string& name) const;
  // Int(), Uint(), Double() and Bool() return the value converted by type.
  int64_t Int(const std::string& name) const;
  uint64_t Uint(const std::string& name) const;
  double Double(const std::string& name) const;
  bool Bool(const std::string& name) const;

 private:
  friend absl::StatusOr<ParsedFlags> ParseFlags(
      const std::vector<std::string>& args, const std::vector<FlagSpec>& specs);

  bool help_ = false;
  std::map<std::string, std::string> given_;
  std::map<std::string, std::string> defaults_;
};

// ParseFlags() parses `args` (no program or command name) against `specs`
// with CLI11 (which matches flags and values), then checks each value's
// type.
// Accepted forms: `--name=value`, `--name value`, and for boolean flags
// `--name` alone or `--name=true|false`; a positional spec's value may
// also come as the next bare argument; `--help`/`-h` sets help(). Returns
// InvalidArgument naming the flag for an unknown flag ("unknown flag
// --foo"), a value of the wrong type ("--n: expected an integer, got 'x'"),
// a missing value, a flag given twice (by name, or by name and
// position), a bare argument beyond the positional specs, or a
// missing required flag ("missing required flag --model").
absl::StatusOr<ParsedFlags> ParseFlags(const std::vector<std::string>& args,
                                       const std::vector<FlagSpec>& specs);

// FormatFlagHelp() lists `specs` one per line, aligned, with their value
// kind, help, "(required)" or the default.
std::string FormatFlagHelp(const std::vector<FlagSpec>& specs);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_CLI_FLAG_PARSER_H_
