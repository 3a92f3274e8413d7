#ifndef JKOFLOW_SERVER_TLS_CREDENTIALS_H_
#define JKOFLOW_SERVER_TLS_CREDENTIALS_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>

#include "absl/status/statusor.h"
#include "server/server_options.h"

namespace jkoflow {

// ServerCredentialsFor() is plaintext when options.tls_cert and tls_key are
// both empty, else TLS with that PEM certificate chain and key; with
// options.tls_client_ca it also requires and verifies a client certificate
// signed by that CA. Each file is read and parsed up front, so a missing,
// unreadable or non-PEM file, or a key that does not match the certificate,
// is an INVALID_ARGUMENT naming the flag and the file.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const ServerOptions& options);

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_TLS_CREDENTIALS_H_
