#ifndef JKOFLOW_CORE_STORE_LAYOUT_H_
#define JKOFLOW_CORE_STORE_LAYOUT_H_

#include <cstdint>
#include <string>
#include <vector>

namespace jkoflow {

// A model store is a directory `<model_dir>/<name>/v<version>/` of model
// directories (core/model_store.h), written by the server's jobs and by
// jkoflow-train-worker, read by every replica that serves the store.

// ModelVersionDir() is `<model_dir>/<name>/v<version>`.
std::string ModelVersionDir(const std::string& model_dir,
                            const std::string& name, int64_t version);

// ParseVersionDirName() is N for a directory named "v<N>" (N ≥ 1), else 0.
int64_t ParseVersionDirName(const std::string& dir_name);

// ModelVersionsOnDisk() lists the versions of `name` in the store (the
// "v<N>" directories), ascending; empty when there are none or the
// directory cannot be read.
std::vector<int64_t> ModelVersionsOnDisk(const std::string& model_dir,
                                         const std::string& name);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_STORE_LAYOUT_H_
