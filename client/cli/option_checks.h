#ifndef JKOFLOW_CLIENT_CLI_OPTION_CHECKS_H_
#define JKOFLOW_CLIENT_CLI_OPTION_CHECKS_H_

#include <CLI/CLI.hpp>

namespace jkoflow {

// Checks for the CLI's options, beyond CLI11's own type conversion. CLI11
// runs them on the text of a value and reports "--name: <message>".

// FiniteNumber() accepts a finite number (CLI11 alone takes "nan", "inf").
CLI::Validator FiniteNumber();

// AtLeast() accepts a finite number ≥ lo; Positive() one > 0.
CLI::Validator AtLeast(double lo);
CLI::Validator Positive();

// NotAFlag() refuses a value that starts with "--": CLI11 reads
// `--out --plot=x.png` as out = "--plot=x.png", which is never meant.
CLI::Validator NotAFlag();

// CheckTextValues() adds NotAFlag() to every text-valued option of `app`
// and its subcommands.
void CheckTextValues(CLI::App& app);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_CLI_OPTION_CHECKS_H_
