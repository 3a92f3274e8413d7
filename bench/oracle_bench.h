#ifndef JKOFLOW_BENCH_ORACLE_BENCH_H_
#define JKOFLOW_BENCH_ORACLE_BENCH_H_

#include <cstdint>

#include "absl/status/status.h"
#include "core/gaussian_oracle.h"
#include "core/progressive_trainer.h"

namespace jkoflow {

// OracleStart() is the data distribution of the Gaussian benchmark in
// dimension `dim`: N(m, diag(s²)) with m_i alternating about ±2.5 and s_i
// in [0.5, 1.4], so that every coordinate has its own exact trajectory.
DiagonalGaussian OracleStart(int64_t dim);

// RunOracle() is `jkoflow-bench --oracle`: for d = 2 and d = 10 it trains
// `options` block by block on `train_points` points of OracleStart(d) and,
// after each block, prints one JSON line comparing the flow with the exact
// JKO sequence (docs/design.md §3) at the block's own h: the pushed mean and
// standard deviations of `test_points` fresh points against the exact
// ones, the largest pushed covariance off the diagonal, the exact KL to
// N(0, I) against the one measured on the test points (log p_0 − Σ∫div −
// log N, with its standard error), the log-Sobolev certificate with ε_k
// from the exact score of the learned p_k (ScoreByChangeOfVariables()) and
// from the kernel score, the seed paper's Theorem 4.3 bound on KL and on
// W2² (core/convergence_bound.h) both ways (exact-score ε_k² from the
// exact W2²(p_0, q); the trainer's kernel ε_k² from its measured
// start_distance) against the exact KL and W2², ε_k² both ways, the kernel
// Stein form S² score-free and from the exact ξ with their difference
// (0 within its error), each with its standard error, and the block's KL
// decrease on fixed rows with its paired and unpaired standard errors.
absl::Status RunOracle(const TrainerOptions& options, int64_t train_points,
                       int64_t test_points, uint64_t seed);

}  // namespace jkoflow

#endif  // JKOFLOW_BENCH_ORACLE_BENCH_H_
