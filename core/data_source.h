#ifndef JKOFLOW_CORE_DATA_SOURCE_H_
#define JKOFLOW_CORE_DATA_SOURCE_H_
// Where training and test points come from: the built-in generators, the
// gmm:<dim>:<components>:<seed> specs and user files (CSV, .npy, IDX). The
// one place the bench, the server's jobs and the training worker load data.

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace jkoflow {

// IsBuiltinDataset() is true for a name of BuiltinDatasetNames().
bool IsBuiltinDataset(const std::string& name);

// GeneratePoints() draws `points` points of a built-in 2-D set or a
// gmm:<dim>:<k>:<seed> spec, [points, dim] float32 CPU, reproducibly from
// `seed`. An unknown name is INVALID_ARGUMENT naming the valid ones.
absl::StatusOr<torch::Tensor> GeneratePoints(const std::string& dataset,
                                             int64_t points, uint64_t seed);

// ReadPointsFile() reads a .csv, .npy or IDX (gzip'd or not) file as a
// float32 CPU tensor [rows, cols]. `item_shape` (when given) receives the shape
// of one row that the file recorded (an IDX image: {28, 28}), else empty. With
// max_values > 0, a file of more than max_values values is INVALID_ARGUMENT
// naming it and the limit. The values are not checked for range: a caller
// training on them checks them (non-finite values, rows too far out).
absl::StatusOr<torch::Tensor> ReadPointsFile(
    const std::string& path, std::vector<int64_t>* item_shape = nullptr,
    int64_t max_values = 0);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_DATA_SOURCE_H_
