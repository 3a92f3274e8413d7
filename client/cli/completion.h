#ifndef JKOFLOW_CLIENT_CLI_COMPLETION_H_
#define JKOFLOW_CLIENT_CLI_COMPLETION_H_

#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace jkoflow {

// BashCompletion() is a bash completion script for `app` (`jkoflow`): the
// command names first, then each command's long flags and the global ones,
// read from the app itself, so it never lists a flag the CLI lacks. Use:
// `source <(jkoflow completion bash)`.
std::string BashCompletion(const CLI::App& app);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_CLI_COMPLETION_H_
