#ifndef JKOFLOW_FUZZ_FUZZ_CHECK_H_
#define JKOFLOW_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

// FUZZ_CHECK(cond) aborts with the condition's text when a fuzz target's
// invariant breaks, so that libFuzzer (and the corpus replay) report it as
// a crash. A refused input is not a finding; an accepted input that breaks
// what the function promises is.
#define FUZZ_CHECK(cond)                                              \
  do {                                                                \
    if (!(cond)) {                                                    \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, \
                   __LINE__, #cond);                                  \
      std::abort();                                                   \
    }                                                                 \
  } while (false)

#endif  // JKOFLOW_FUZZ_FUZZ_CHECK_H_
