#include "server/auth/auth_policy.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace jkoflow {
namespace {

constexpr absl::string_view kBearer = "Bearer ";

const absl::flat_hash_map<std::string, Role>& RoleTable() {
  static const auto* table = new absl::flat_hash_map<std::string, Role>{
      {"/jkoflow.v1.FlowService/ListModels", Role::kRead},
      {"/jkoflow.v1.FlowService/GetModel", Role::kRead},
      {"/jkoflow.v1.FlowService/Sample", Role::kRead},
      {"/jkoflow.v1.FlowService/LogLikelihood", Role::kRead},
      {"/jkoflow.v1.FlowService/LoadModel", Role::kAdmin},
      {"/jkoflow.v1.FlowService/UnloadModel", Role::kAdmin},
      // The weights leave the server: as much as sampling gives away, and
      // no more than a read token's holder can already learn.
      {"/jkoflow.v1.FlowService/ExportModel", Role::kRead},
      {"/jkoflow.v1.TrainingService/GetJob", Role::kRead},
      {"/jkoflow.v1.TrainingService/ListJobs", Role::kRead},
      {"/jkoflow.v1.TrainingService/WatchJob", Role::kRead},
      {"/jkoflow.v1.TrainingService/CreateTrainingJob", Role::kTrain},
      {"/jkoflow.v1.TrainingService/UploadTrainingJob", Role::kTrain},
      {"/jkoflow.v1.TrainingService/TrainBlock", Role::kTrain},
      // A train token may cancel only its own jobs (JobManager::CancelJob).
      {"/jkoflow.v1.TrainingService/CancelJob", Role::kTrain},
      // The Open Inference Protocol (server/rpc/inference_service.h).
      {"/inference.GRPCInferenceService/ServerLive", Role::kRead},
      {"/inference.GRPCInferenceService/ServerReady", Role::kRead},
      {"/inference.GRPCInferenceService/ModelReady", Role::kRead},
      {"/inference.GRPCInferenceService/ServerMetadata", Role::kRead},
      {"/inference.GRPCInferenceService/ModelMetadata", Role::kRead},
      {"/inference.GRPCInferenceService/ModelInfer", Role::kRead},
  };
  return *table;
}

}  // namespace

std::optional<Role> RoleInTable(absl::string_view full_method) {
  const auto& table = RoleTable();
  const auto it = table.find(full_method);
  if (it == table.end()) return std::nullopt;
  return it->second;
}

Role RequiredRole(absl::string_view full_method) {
  return RoleInTable(full_method).value_or(Role::kAdmin);
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(
    const std::string& token_file) {
  absl::StatusOr<TokenTable> tokens = LoadTokenFile(token_file);
  if (!tokens.ok()) return tokens.status();
  return std::unique_ptr<Authenticator>(new Authenticator(
      token_file, std::make_shared<const TokenTable>(*std::move(tokens))));
}

std::shared_ptr<const TokenTable> Authenticator::tokens() const {
  absl::MutexLock lock(&mu_);
  return tokens_;
}

absl::StatusOr<Role> Authenticator::RoleOf(
    const grpc::CallbackServerContext& context, std::string* id) const {
  const auto& metadata = context.client_metadata();
  const auto header = metadata.find("authorization");
  if (header == metadata.end()) {
    return absl::UnauthenticatedError(
        "missing \"authorization: Bearer TOKEN\" metadata");
  }
  const absl::string_view value(header->second.data(), header->second.size());
  if (!absl::StartsWith(value, kBearer)) {
    return absl::UnauthenticatedError(
        "authorization metadata must be \"Bearer TOKEN\"");
  }
  const absl::string_view token = value.substr(kBearer.size());
  const std::optional<Role> role = tokens()->Find(token);
  if (!role.has_value()) return absl::UnauthenticatedError("unknown token");
  if (id != nullptr) *id = TokenOwnerId(token);
  return *role;
}

absl::Status Authenticator::Check(const grpc::CallbackServerContext& context,
                                  absl::string_view full_method) const {
  absl::StatusOr<Role> role = RoleOf(context, /*id=*/nullptr);
  if (!role.ok()) return role.status();
  const Role needed = RequiredRole(full_method);
  if (*role < needed) {
    return absl::PermissionDeniedError(
        absl::StrCat(full_method, " needs role ", RoleName(needed),
                     "; this token has role ", RoleName(*role)));
  }
  return absl::OkStatus();
}

absl::StatusOr<Caller> Authenticator::Identify(
    const grpc::CallbackServerContext& context) const {
  Caller caller;
  absl::StatusOr<Role> role = RoleOf(context, &caller.id);
  if (!role.ok()) return role.status();
  caller.admin = *role == Role::kAdmin;
  return caller;
}

absl::Status Authenticator::Reload() {
  absl::StatusOr<TokenTable> tokens = LoadTokenFile(token_file_);
  if (!tokens.ok()) return tokens.status();
  auto fresh = std::make_shared<const TokenTable>(*std::move(tokens));
  absl::MutexLock lock(&mu_);
  tokens_ = std::move(fresh);
  return absl::OkStatus();
}

}  // namespace jkoflow
