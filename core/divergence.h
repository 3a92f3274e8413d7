#ifndef JKOFLOW_CORE_DIVERGENCE_H_
#define JKOFLOW_CORE_DIVERGENCE_H_

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jkoflow {

// DivergenceMethod: exact trace of the Jacobian (d tangent passes) or
// Hutchinson's estimator E[εᵀ J ε].
enum class DivergenceMethod { kExact, kHutchinson };

// ProbeDistribution of Hutchinson probes ε.
enum class ProbeDistribution { kRademacher, kGaussian };

// DivergenceOptions says how div f is computed along an ODE solve. Hutchinson
// probes are drawn once per solve and kept fixed across its RK4 stages.
struct DivergenceOptions {
  DivergenceMethod method = DivergenceMethod::kExact;
  int64_t probes = 1;
  ProbeDistribution distribution = ProbeDistribution::kRademacher;
  // Hutchinson only: keep each probe's estimate, [batch, probes], instead
  // of their mean [batch] (their spread gives the estimate's standard
  // error; see FlowModel::LogProbWithError()).
  bool per_probe = false;
};

// DefaultDivergenceOptions() is exact for dim ≤ 10, one Rademacher probe above.
DivergenceOptions DefaultDivergenceOptions(int64_t dim);

// ValidateDivergenceOptions() checks probes in [1, 1024].
absl::Status ValidateDivergenceOptions(const DivergenceOptions& options);

// DivergenceMethodName() is "exact" or "hutchinson"; ParseDivergenceMethod()
// inverts it.
std::string DivergenceMethodName(DivergenceMethod method);
absl::StatusOr<DivergenceMethod> ParseDivergenceMethod(const std::string& name);

// MakeTangents() returns the directions whose Jacobian-vector products give
// the divergence: the identity [dim, dim] (shared by all points) for the exact
// method, or probes [batch, probes, dim] drawn from `generator` (on the CPU,
// then moved to `options`' device, so a seed gives the same probes on any
// device) for Hutchinson.
torch::Tensor MakeTangents(const DivergenceOptions& divergence, int64_t batch,
                           int64_t dim, const torch::TensorOptions& options,
                           at::Generator& generator);

// DivergenceFromJvp() reduces tangents v and products Jv [batch, m, dim] to
// the divergence (exact) or its Hutchinson estimate, [batch] ([batch,
// probes] with divergence.per_probe).
torch::Tensor DivergenceFromJvp(const DivergenceOptions& divergence,
                                const torch::Tensor& tangents,
                                const torch::Tensor& jvp);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_DIVERGENCE_H_
