#ifndef JKOFLOW_CLIENT_CLI_COMMON_OPTIONS_H_
#define JKOFLOW_CLIENT_CLI_COMMON_OPTIONS_H_

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace jkoflow {

// Options that several subcommands share, registered alike on each.

// AddModelOption() adds the required model name, taken as the first bare
// argument or as --model ("jkoflow info m" = "jkoflow info --model=m").
CLI::Option* AddModelOption(CLI::App& command, std::string& model,
                            const std::string& help);

// AddVersionOption() adds --version (≥ 0; 0 means the newest loaded).
CLI::Option* AddVersionOption(CLI::App& command, int64_t& version,
                              const std::string& help);

// AddSeedOption() adds an unsigned 64-bit seed, --seed unless `name`
// says otherwise.
CLI::Option* AddSeedOption(CLI::App& command, uint64_t& seed,
                           const std::string& help,
                           const std::string& name = "--seed");

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_CLI_COMMON_OPTIONS_H_
