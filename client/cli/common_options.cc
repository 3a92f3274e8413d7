#include "client/cli/common_options.h"

#include "client/cli/option_checks.h"

namespace jkoflow {

CLI::Option* AddModelOption(CLI::App& command, std::string& model,
                            const std::string& help) {
  return command.add_option("model,--model", model, help)->required();
}

CLI::Option* AddVersionOption(CLI::App& command, int64_t& version,
                              const std::string& help) {
  return command.add_option("--version", version, help)
      ->check(AtLeast(0))
      ->capture_default_str();
}

CLI::Option* AddSeedOption(CLI::App& command, uint64_t& seed,
                           const std::string& help, const std::string& name) {
  return command.add_option(name, seed, help)
      ->check(AtLeast(0))
      ->capture_default_str();
}

}  // namespace jkoflow
