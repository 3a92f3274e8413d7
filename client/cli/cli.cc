#include "client/cli/cli.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "client/cli/command.h"
#include "client/cli/flag_parser.h"
#include "client/client.h"

namespace jkoflow {
namespace {

std::vector<FlagSpec> GlobalFlags() {
  return {
      {"server", FlagType::kString, "server address HOST:PORT", false,
       "127.0.0.1:50051"},
      {"timeout", FlagType::kDouble, "deadline of each call, in seconds", false,
       "30"},
      {"tls_ca", FlagType::kString,
       "PEM CA that signed the server's certificate (turns TLS on)", false, ""},
      {"tls_cert", FlagType::kString,
       "PEM client certificate (with --tls_key; servers with mutual TLS)",
       false, ""},
      {"tls_key", FlagType::kString, "PEM private key of --tls_cert", false,
       ""},
      {"token_file", FlagType::kString,
       "file holding the bearer token (default: $JKOFLOW_TOKEN)", false, ""},
      {"lb", FlagType::kString,
       "gRPC load-balancing policy, e.g. round_robin with a dns:/// server "
       "(default: gRPC's pick_first)",
       false, ""},
  };
}

// TakesValue() is true for a global flag that takes a value ("--server X").
bool TakesValue(const std::string& arg) {
  return arg == "--server" || arg == "--timeout" || arg == "--tls_ca" ||
         arg == "--tls_cert" || arg == "--tls_key" || arg == "--token_file" ||
         arg == "--lb";
}

// ReadToken() is the token of --token_file (surrounding whitespace
// dropped), else $JKOFLOW_TOKEN, else empty.
absl::StatusOr<std::string> ReadToken(const std::string& token_file) {
  if (token_file.empty()) {
    const char* env = std::getenv("JKOFLOW_TOKEN");
    return std::string(env == nullptr ? "" : env);
  }
  std::ifstream in(token_file, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--token_file: cannot read ", token_file));
  }
  return std::string(absl::StripAsciiWhitespace(text.str()));
}

std::vector<Command> AllCommands() {
  return {ModelsCommand(),     InfoCommand(),   SampleCommand(),
          LoglikCommand(),     ReportCommand(), TrainCommand(),
          TrainBlockCommand(), JobsCommand(),   WatchCommand(),
          CancelCommand(),     HealthCommand()};
}

std::string MainUsage() {
  std::string text =
      "usage: jkoflow [--server=HOST:PORT] [--timeout=SECONDS] <command> "
      "[flags]\n\nA client for the jkoflow generation service.\n\n"
      "commands:\n";
  for (const Command& command : AllCommands()) {
    absl::StrAppend(
        &text, "  ", command.name,
        std::string(12 - std::min<size_t>(command.name.size(), 11), ' '),
        command.summary, "\n");
  }
  absl::StrAppend(
      &text, "\nglobal flags:\n", FormatFlagHelp(GlobalFlags()),
      "\nRun 'jkoflow <command> --help' (or 'jkoflow help <command>') for a "
      "command's flags.\n");
  return text;
}

std::string CommandUsage(const Command& command) {
  const std::string synopsis =
      command.synopsis.empty() ? "" : absl::StrCat(" ", command.synopsis);
  const std::string flags = command.flags.empty()
                                ? std::string("  (none)\n")
                                : FormatFlagHelp(command.flags);
  return absl::StrCat("usage: jkoflow ", command.name, synopsis, "\n\n",
                      command.summary, "\n\nflags:\n", flags,
                      "\nglobal flags:\n", FormatFlagHelp(GlobalFlags()));
}

// Prefixes the code name unless the message already starts with it (as the
// messages of FromGrpcStatus() do).
std::string FormatError(const absl::Status& status) {
  const std::string code = absl::StatusCodeToString(status.code());
  if (absl::StartsWith(status.message(), code)) {
    return std::string(status.message());
  }
  return absl::StrCat(code, ": ", status.message());
}

// FindCommand() is the command called `name`, or null.
const Command* FindCommand(const std::vector<Command>& commands,
                           const std::string& name) {
  for (const Command& c : commands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// ClientOptionsFromFlags() reads the client's options from the global
// flags; a global flag after the command (in `flags`) wins over one before
// it (`global`). INVALID_ARGUMENT for a bad --timeout or token file.
absl::StatusOr<ClientOptions> ClientOptionsFromFlags(const ParsedFlags& global,
                                                     const ParsedFlags& flags) {
  auto source = [&](const std::string& flag) -> const ParsedFlags& {
    return flags.Has(flag) ? flags : global;
  };
  ClientOptions options;
  options.server = source("server").String("server");
  const double timeout = source("timeout").Double("timeout");
  if (!(timeout > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--timeout: must be > 0, got ", timeout));
  }
  options.timeout = absl::Seconds(timeout);
  options.security.tls_ca_file = source("tls_ca").String("tls_ca");
  options.security.tls_cert_file = source("tls_cert").String("tls_cert");
  options.security.tls_key_file = source("tls_key").String("tls_key");
  options.load_balancing_policy = source("lb").String("lb");
  ASSIGN_OR_RETURN(options.security.token,
                   ReadToken(source("token_file").String("token_file")));
  return options;
}

// RunCommand() connects as the flags say and runs `command`; returns the
// exit code, with the error on `err`.
int RunCommand(const Command& command, const ParsedFlags& global,
               const ParsedFlags& flags, std::ostream& out, std::ostream& err,
               bool out_is_tty) {
  const std::string& name = command.name;
  absl::StatusOr<ClientOptions> options = ClientOptionsFromFlags(global, flags);
  if (!options.ok()) {
    err << "jkoflow " << name << ": " << options.status().message() << "\n";
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Create(*std::move(options));
  if (!client.ok()) {
    err << "jkoflow " << name << ": " << FormatError(client.status()) << "\n";
    return kExitUsage;
  }
  CommandContext context{**client, flags, out, out_is_tty};
  const absl::Status status = command.run(context);
  out.flush();
  if (!status.ok()) {
    err << "jkoflow " << name << ": " << FormatError(status) << "\n";
    return kExitError;
  }
  return kExitOk;
}

}  // namespace

int RunCli(const std::vector<std::string>& args, std::ostream& out,
           std::ostream& err, bool out_is_tty) {
  // Split: global flags, the command, the command's flags.
  size_t i = 0;
  while (i < args.size() && absl::StartsWith(args[i], "-")) {
    const bool takes_next = TakesValue(args[i]);
    i += takes_next ? 2 : 1;
  }
  const std::vector<std::string> global_args(
      args.begin(), args.begin() + std::min(i, args.size()));
  absl::StatusOr<ParsedFlags> global = ParseFlags(global_args, GlobalFlags());
  if (!global.ok()) {
    err << "jkoflow: " << global.status().message() << "\n"
        << "Run 'jkoflow --help' for usage.\n";
    return kExitUsage;
  }
  if (i >= args.size()) {
    if (global->help()) {
      out << MainUsage();
      return kExitOk;
    }
    err << MainUsage();
    return kExitUsage;
  }
  std::string name = args[i];
  std::vector<std::string> rest(args.begin() + i + 1, args.end());
  if (name == "help") {  // "jkoflow help [command]"
    if (rest.empty()) {
      out << MainUsage();
      return kExitOk;
    }
    name = rest[0];
    rest = {"--help"};
  }
  const std::vector<Command> commands = AllCommands();
  const Command* command = FindCommand(commands, name);
  if (command == nullptr) {
    err << "jkoflow: unknown command '" << name << "'\n"
        << "Run 'jkoflow --help' for the list of commands.\n";
    return kExitUsage;
  }
  std::vector<FlagSpec> specs = command->flags;
  for (FlagSpec spec : GlobalFlags()) {
    spec.default_value.clear();  // so that Has() tells which one was given
    specs.push_back(std::move(spec));
  }
  absl::StatusOr<ParsedFlags> flags = ParseFlags(rest, specs);
  if (!flags.ok()) {
    err << "jkoflow " << name << ": " << flags.status().message() << "\n"
        << "Run 'jkoflow " << name << " --help' for usage.\n";
    return kExitUsage;
  }
  if (global->help() || flags->help()) {
    out << CommandUsage(*command);
    return kExitOk;
  }

  return RunCommand(*command, *global, *flags, out, err, out_is_tty);
}

}  // namespace jkoflow
