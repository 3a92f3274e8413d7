#include "client/cli/completion.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace jkoflow {
namespace {

// LongFlags() is "--name" for every long option of `app`.
std::vector<std::string> LongFlags(const CLI::App& app) {
  std::vector<std::string> flags;
  for (const CLI::Option* option : app.get_options()) {
    for (const std::string& name : option->get_lnames()) {
      flags.push_back(absl::StrCat("--", name));
    }
  }
  return flags;
}

// ValuedFlags() is "--name" for the global options that take a value (the
// word after them is that value, not a command).
std::vector<std::string> ValuedFlags(const CLI::App& app) {
  std::vector<std::string> flags;
  for (const CLI::Option* option : app.get_options()) {
    if (option->get_expected_max() < 1) continue;
    for (const std::string& name : option->get_lnames()) {
      flags.push_back(absl::StrCat("--", name));
    }
  }
  return flags;
}

}  // namespace

std::string BashCompletion(const CLI::App& app) {
  const std::vector<std::string> global = LongFlags(app);
  std::vector<std::string> commands;
  std::string cases;
  for (const CLI::App* command : app.get_subcommands({})) {
    commands.push_back(command->get_name());
    std::vector<std::string> words = LongFlags(*command);
    for (const std::string& flag : global) {
      if (std::find(words.begin(), words.end(), flag) == words.end()) {
        words.push_back(flag);
      }
    }
    absl::StrAppend(&cases, "    ", command->get_name(), ") words=\"",
                    absl::StrJoin(words, " "), "\" ;;\n");
  }
  return absl::StrCat(
      "# bash completion for jkoflow: source <(jkoflow completion bash)\n"
      "_jkoflow() {\n"
      "  local cur=${COMP_WORDS[COMP_CWORD]} command=\"\" words w i\n"
      "  local valued=\" ",
      absl::StrJoin(ValuedFlags(app), " "), " \"\n",
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    w=${COMP_WORDS[i]}\n"
      "    if [[ $w == = ]]; then ((i++)); continue; fi\n"
      "    if [[ $w == -* ]]; then\n"
      "      [[ $valued == *\" $w \"* && ${COMP_WORDS[i+1]} != = ]] && "
      "((i++))\n"
      "      continue\n"
      "    fi\n"
      "    command=$w; break\n"
      "  done\n"
      "  case $command in\n"
      "    \"\") words=\"",
      absl::StrJoin(commands, " "), " ", absl::StrJoin(global, " "), "\" ;;\n",
      cases,
      "  esac\n"
      "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
      "}\n"
      "complete -o default -F _jkoflow jkoflow\n");
}

}  // namespace jkoflow
