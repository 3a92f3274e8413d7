#ifndef JKOFLOW_CORE_MEAN_ESTIMATE_H_
#define JKOFLOW_CORE_MEAN_ESTIMATE_H_

namespace jkoflow {

// MeanEstimate is an estimated mean and its standard error.
struct MeanEstimate {
  double value = 0;
  double std_error = 0;
};

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_MEAN_ESTIMATE_H_
