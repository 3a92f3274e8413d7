#ifndef JKOFLOW_SERVER_AUTH_AUTH_POLICY_H_
#define JKOFLOW_SERVER_AUTH_AUTH_POLICY_H_

#include <grpcpp/server_context.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "server/auth/auth_tokens.h"
#include "server/auth/caller.h"

namespace jkoflow {

// RequiredRole() is the role a call of `full_method`
// ("/jkoflow.v1.FlowService/Sample") needs. This is the one role table:
// read covers the lookups and inference, train adds job creation,
// TrainBlock and CancelJob, admin adds LoadModel and UnloadModel. A method
// missing from the table needs admin. grpc.health.v1 and reflection are
// never routed through it: they stay open without a token.
Role RequiredRole(absl::string_view full_method);

// RoleInTable() is the role the table names for `full_method`; nullopt
// when the table has no line for it (a test checks that every method of
// every service the server registers has one).
std::optional<Role> RoleInTable(absl::string_view full_method);

// Authenticator checks the "authorization: Bearer TOKEN" metadata of a call
// against a token file (auth_tokens.h). Reload() swaps the tokens
// atomically; thread-safe. Tokens never appear in its messages.
class Authenticator {
 public:
  // Create() loads `token_file`; its error names the file and the line.
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(
      const std::string& token_file);

  // Check() is OK when the call's token has at least RequiredRole(
  // full_method); UNAUTHENTICATED when the token is missing or unknown,
  // PERMISSION_DENIED when its role is too low.
  absl::Status Check(const grpc::CallbackServerContext& context,
                     absl::string_view full_method) const;

  // Identify() is the Caller behind the call's token (its owner id, and
  // whether it is an admin); UNAUTHENTICATED as Check().
  absl::StatusOr<Caller> Identify(
      const grpc::CallbackServerContext& context) const;

  // Reload() reads the token file again. On error the old tokens stay in
  // force and the error says why.
  absl::Status Reload();

 private:
  Authenticator(std::string token_file,
                std::shared_ptr<const TokenTable> tokens)
      : token_file_(std::move(token_file)), tokens_(std::move(tokens)) {}

  std::shared_ptr<const TokenTable> tokens() const;
  // RoleOf() is the role of the call's token and, if `id` is not null, its
  // TokenOwnerId(); UNAUTHENTICATED when missing or unknown.
  absl::StatusOr<Role> RoleOf(const grpc::CallbackServerContext& context,
                              std::string* id) const;

  const std::string token_file_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const TokenTable> tokens_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_AUTH_AUTH_POLICY_H_
