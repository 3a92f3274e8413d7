#ifndef JKOFLOW_SERVER_RPC_MODEL_INFO_H_
#define JKOFLOW_SERVER_RPC_MODEL_INFO_H_

#include "jkoflow/v1/flow.pb.h"
#include "server/serving/model_registry.h"

namespace jkoflow {

// FillModelInfo() describes a registered version on the wire: state and
// error always; dimension, blocks (h, steps, width, depth, activation,
// statistics), smoothing τ, provenance and the inversion error measured at
// load when the model is loaded.
void FillModelInfo(const ModelVersion& version, v1::ModelInfo* info);

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_RPC_MODEL_INFO_H_
