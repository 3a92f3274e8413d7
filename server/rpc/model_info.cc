#include "server/rpc/model_info.h"

#include <cmath>

#include "core/block_diagnostics.h"
#include "core/velocity_field.h"

namespace jkoflow {
namespace {

v1::ModelState WireState(ModelVersionState state) {
  switch (state) {
    case ModelVersionState::kLoaded:
      return v1::MODEL_STATE_LOADED;
    case ModelVersionState::kUnloaded:
      return v1::MODEL_STATE_UNLOADED;
    case ModelVersionState::kFailed:
      return v1::MODEL_STATE_FAILED;
  }
  return v1::MODEL_STATE_UNSPECIFIED;
}

void FillStats(const BlockStats& s, v1::BlockStats* out) {
  out->set_loss(s.loss);
  out->set_potential(s.potential);
  out->set_neg_divergence(s.neg_divergence);
  out->set_movement_term(s.movement_term);
  out->set_movement(s.movement);
  out->set_mean_displacement(s.mean_displacement);
  out->set_relative_movement(s.relative_movement);
  out->set_inversion_error(s.inversion_error);
  out->set_train_seconds(s.train_seconds);
  out->set_iterations(s.iterations);
  out->set_kl_decrease(s.kl_decrease);
  out->set_kl_decrease_std_error(s.kl_decrease_std_error);
  out->set_kl_decrease_unpaired_std_error(s.kl_decrease_unpaired_std_error);
}

void FillDiagnostics(const BlockDiagnostics& d, const TrajectoryPoint& point,
                     v1::BlockDiagnostics* out) {
  out->set_points(d.points);
  out->set_first_order_residual(d.first_order_residual);
  out->set_residual_floor(d.residual_floor);
  out->set_score_bandwidth(d.score_bandwidth);
  out->set_ot_gap(d.ot_gap);
  out->set_lipschitz(d.lipschitz);
  out->set_inverse_lipschitz(d.inverse_lipschitz);
  out->set_discretisation_error(d.discretisation_error);
  out->set_seconds(d.seconds);
  out->set_first_order_residual_std_error(d.first_order_residual_std_error);
  out->set_stein_residual(d.stein_residual);
  out->set_stein_residual_std_error(d.stein_residual_std_error);
  out->set_log_det_error(d.log_det_error);
  out->set_certificate(point.certificate);
  out->set_start_distance(d.start_distance);
  out->set_convergence_w2_bound(point.bound.w2);
  out->set_convergence_kl_bound(point.bound.kl);
  out->set_step_sum(point.step_sum);
  out->set_kl_plus_entropy(point.kl_plus_entropy);
  out->set_lipschitz_product(point.lipschitz_product);
  out->set_inverse_lipschitz_product(point.inverse_lipschitz_product);
  out->set_step_above_bound(point.step_above_bound);
}

}  // namespace

void FillModelInfo(const ModelVersion& version, v1::ModelInfo* info) {
  info->set_name(version.name);
  info->set_version(version.version);
  info->set_state(WireState(version.state));
  info->set_error(version.error);
  if (version.model == nullptr) return;
  const FlowModel& model = *version.model;
  info->set_dim(model.dim());
  const std::vector<TrajectoryPoint> trajectory = ModelTrajectory(model);
  for (int64_t k = 0; k < model.num_blocks(); ++k) {
    const JkoBlockConfig& config = model.block(k).config();
    v1::BlockInfo* block = info->add_blocks();
    block->set_index(k + 1);
    block->set_h(config.h);
    block->set_steps(config.steps);
    block->set_width(config.field.width());
    block->set_depth(config.field.depth());
    block->set_activation(ActivationName(config.field.activation()));
    block->set_softplus_beta(config.field.softplus_beta());
    block->set_time_input(config.field.time_input());
    FillStats(model.stats(k), block->mutable_stats());
    FillDiagnostics(model.stats(k).diagnostics, trajectory[k],
                    block->mutable_diagnostics());
  }
  info->set_smoothing_tau(model.smoothing_tau());
  const Provenance& provenance = model.provenance();
  info->set_dataset(provenance.dataset);
  info->set_seed(provenance.seed);
  for (const auto& [key, value] : provenance.hyperparameters) {
    (*info->mutable_hyperparameters())[key] = value;
  }
  info->set_created_utc(provenance.created_utc);
  if (std::isfinite(version.inversion_error)) {
    info->set_inversion_error(version.inversion_error);
  }
  info->set_transform(model.transform().Describe());
  for (const int64_t extent : model.transform().item_shape()) {
    info->add_item_shape(extent);
  }
  info->set_integer(model.transform().Integer());
}

}  // namespace jkoflow
