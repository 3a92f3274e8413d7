#ifndef JKOFLOW_CORE_FLOAT64_COPY_H_
#define JKOFLOW_CORE_FLOAT64_COPY_H_

#include <torch/types.h>

#include "core/jko_block.h"

namespace jkoflow {

// Float64Copy() is an independent copy of `block` with its weights in
// float64 on `device` and frozen (no gradients for them): the measurements
// that need more precision than training (Jacobians, log-determinants,
// exact scores) run on it and differentiate with respect to points only.
inline JkoBlock Float64Copy(const JkoBlock& block, torch::Device device) {
  JkoBlock copy = block.Clone(block.config().h);
  copy.field()->to(device, torch::kFloat64);
  for (torch::Tensor& p : copy.field()->parameters()) {
    p.set_requires_grad(false);
  }
  return copy;
}

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_FLOAT64_COPY_H_
