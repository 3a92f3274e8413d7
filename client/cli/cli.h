#ifndef JKOFLOW_CLIENT_CLI_CLI_H_
#define JKOFLOW_CLIENT_CLI_CLI_H_

#include <ostream>
#include <string>
#include <vector>

namespace jkoflow {

// Exit codes of the `jkoflow` command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;  // the call or the job failed
inline constexpr int kExitUsage = 2;  // bad command line

// RunCli() runs the `jkoflow` command line `args` (without the program name),
// parsed by one CLI11 app with a subcommand per command: global flags
// (--server, --timeout, ...) before or after the subcommand, then the
// subcommand, its positionals and its flags (`sample m 1000 --out=s.csv`, or
// `sample --model=m --n=1000 --out=s.csv`). Help (`--help`, `help CMD`)
// goes to `out` with kExitOk; usage errors go to `err` with kExitUsage,
// naming the command and the flag ("jkoflow sample: unknown flag --bogus");
// a failed call prints one line to `err` naming the gRPC code ("jkoflow
// models: UNAVAILABLE: ...") and returns kExitError.
// `out_is_tty` selects the progress bar over plain progress lines.
int RunCli(const std::vector<std::string>& args, std::ostream& out,
           std::ostream& err, bool out_is_tty);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_CLI_CLI_H_
