// jkoflow: the command-line client of the jkoflow service.

#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "client/cli/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return jkoflow::RunCli(args, std::cout, std::cerr,
                         isatty(STDOUT_FILENO) == 1);
}
