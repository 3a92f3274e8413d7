#include "client/cli/cli.h"

#include <CLI/CLI.hpp>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/cli/command.h"
#include "client/cli/completion.h"
#include "client/cli/global_options.h"
#include "client/cli/option_checks.h"
#include "client/client.h"

namespace jkoflow {
namespace {

// Cli is the parsed command line: the app, the values its options fill in
// and what each command runs.
struct Cli {
  CLI::App app{"A client for the jkoflow generation service.", "jkoflow"};
  GlobalOptions global;
  std::vector<Command> commands;
  CLI::App* help = nullptr;  // `jkoflow help [command]`
  std::string help_topic;
  CLI::App* completion = nullptr;  // `jkoflow completion bash`
  std::string shell;
};

// Our words in the help ("usage: jkoflow sample [FLAGS] model n"), and
// room for the longest option names.
void SetUpFormatter(CLI::App& app) {
  const std::shared_ptr<CLI::Formatter> formatter =
      std::make_shared<CLI::Formatter>();
  formatter->label("Usage", "usage");
  formatter->label("OPTIONS", "FLAGS");
  formatter->label("SUBCOMMAND", "COMMAND");
  formatter->label("Positionals", "Arguments");
  formatter->column_width(38);
  app.formatter(formatter);
}

std::unique_ptr<Cli> BuildCli() {
  auto cli = std::make_unique<Cli>();
  CLI::App& app = cli->app;
  SetUpFormatter(app);  // before the commands, which share it
  app.fallthrough();    // global flags after the command reach `app`
  app.require_subcommand(0, 1);
  app.option_defaults()->group("Flags");  // CLI11 calls them "Options"
  app.get_help_ptr()->group("Flags");
  app.footer(
      "Run 'jkoflow <command> --help' (or 'jkoflow help <command>') for a "
      "command's flags.");
  AddGlobalOptions(app, cli->global);
  for (Command (*add)(CLI::App&) :
       {AddModelsCommand, AddInfoCommand, AddSampleCommand, AddLoglikCommand,
        AddReportCommand, AddTrainCommand, AddTrainBlockCommand, AddJobsCommand,
        AddWatchCommand, AddCancelCommand, AddHealthCommand,
        AddExportCommand}) {
    cli->commands.push_back(add(app));
    cli->commands.back().app->footer(kGlobalOptionsFooter);
    cli->commands.back().app->group("Commands");
    cli->commands.back().app->get_help_ptr()->group("Flags");
  }
  cli->help =
      app.add_subcommand("help", "Show the help of jkoflow or of a command.");
  cli->help->group("Commands");
  cli->help->get_help_ptr()->group("Flags");
  cli->help->add_option("command", cli->help_topic, "a command");
  cli->completion = app.add_subcommand(
      "completion",
      "Print a shell completion script: source <(jkoflow completion bash).");
  cli->completion->group("Commands");
  cli->completion->get_help_ptr()->group("Flags");
  cli->completion->add_option("shell", cli->shell, "the shell: bash")
      ->required()
      ->check(CLI::IsMember({"bash"}));
  CheckTextValues(app);
  return cli;
}

// The command the line selected, or null.
const CLI::App* Selected(const CLI::App& app) {
  const std::vector<const CLI::App*> parsed =
      app.get_subcommands([](const CLI::App* sub) { return sub->parsed(); });
  return parsed.empty() ? nullptr : parsed.front();
}

// MissingMessage() names the first required option of `command` that the
// line lacks, with both ways of giving it when it is also positional.
std::string MissingMessage(const CLI::App& command,
                           const CLI::ParseError& error) {
  for (const CLI::Option* option : command.get_options()) {
    if (!option->get_required() || option->count() > 0) continue;
    if (option->get_positional() && !option->get_lnames().empty()) {
      return absl::StrCat("missing ", option->get_name(/*positional=*/true),
                          ": give it as an argument or as --",
                          option->get_lnames().front());
    }
    break;
  }
  return error.what();
}

// ExtraMessage() names what CLI11 could not place: an unknown command, an
// unknown flag (without its value) or a bare argument.
std::string ExtraMessage(const CLI::App& app, const CLI::App* command) {
  const std::vector<std::string> extras = app.remaining(/*recurse=*/true);
  const std::string first = extras.empty() ? "" : extras.front();
  if (command == nullptr && !absl::StartsWith(first, "-")) {
    return absl::StrCat("unknown command '", first, "'");
  }
  if (absl::StartsWith(first, "--") && first.size() > 2) {
    return absl::StrCat("unknown flag ", first.substr(0, first.find('=')));
  }
  return absl::StrCat("unexpected argument '", first, "'");
}

// UsageError() is what a bad command line prints: the command, the problem
// and where help is.
std::string UsageError(const CLI::App& app, const CLI::ParseError& error) {
  const CLI::App* command = Selected(app);
  std::string message = error.what();
  if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr) {
    message = ExtraMessage(app, command);
  } else if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr &&
             command != nullptr) {
    message = MissingMessage(*command, error);
  }
  const std::string name = command == nullptr
                               ? "jkoflow"
                               : absl::StrCat("jkoflow ", command->get_name());
  const std::string hint =
      absl::StartsWith(message, "unknown command")
          ? std::string("Run 'jkoflow --help' for the list of commands.")
          : absl::StrCat("Run '", name, " --help' for usage.");
  return absl::StrCat(name, ": ", message, "\n", hint, "\n");
}

// Help() answers `jkoflow help [command]`.
int Help(const Cli& cli, std::ostream& out, std::ostream& err) {
  if (cli.help_topic.empty()) {
    out << cli.app.get_formatter()->make_help(&cli.app, "jkoflow",
                                              CLI::AppFormatMode::Normal);
    return kExitOk;
  }
  for (const Command& command : cli.commands) {
    if (command.app->get_name() == cli.help_topic) {
      out << command.app->help("jkoflow");
      return kExitOk;
    }
  }
  err << "jkoflow: unknown command '" << cli.help_topic << "'\n"
      << "Run 'jkoflow --help' for the list of commands.\n";
  return kExitUsage;
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

// RunCommand() connects as the global options say and runs `command`;
// returns the exit code, with the error on `err`.
int RunCommand(const Command& command, const GlobalOptions& global,
               std::ostream& out, std::ostream& err, bool out_is_tty) {
  const std::string name = command.app->get_name();
  absl::StatusOr<ClientOptions> options = ToClientOptions(global);
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
  CommandContext context{**client, out, out_is_tty};
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
  const std::unique_ptr<Cli> cli = BuildCli();
  try {
    // CLI11 takes the arguments last first.
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    cli->app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    out << cli->app.help();  // the selected command's help, if any
    return kExitOk;
  } catch (const CLI::ParseError& error) {
    err << UsageError(cli->app, error);
    return kExitUsage;
  }
  if (cli->help->parsed()) return Help(*cli, out, err);
  if (cli->completion->parsed()) {
    out << BashCompletion(cli->app);
    return kExitOk;
  }
  for (const Command& command : cli->commands) {
    if (command.app->parsed()) {
      return RunCommand(command, cli->global, out, err, out_is_tty);
    }
  }
  err << cli->app.help();
  return kExitUsage;
}

}  // namespace jkoflow
