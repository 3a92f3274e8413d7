#ifndef JKOFLOW_CORE_COMPUTE_SETUP_H_
#define JKOFLOW_CORE_COMPUTE_SETUP_H_

namespace jkoflow {

// SetUpCompute() sets LibTorch's intra-op and inter-op thread counts to
// `threads` (≥ 1) and makes the CPU flush denormal floats to zero (inputs
// and results). Training drives many activations and Adam moments into the
// denormal range, where each operation costs tens of times more; flushing
// them changes no figure the project reports (they are below 1e-38) and
// trains 1.3–2× faster (docs/design.md §9). The floating-point mode is per
// thread and inherited by threads started later: call it first in main(),
// before any thread pool starts.
void SetUpCompute(int threads);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_COMPUTE_SETUP_H_
