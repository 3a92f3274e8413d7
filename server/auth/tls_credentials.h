#ifndef JKOFLOW_SERVER_AUTH_TLS_CREDENTIALS_H_
#define JKOFLOW_SERVER_AUTH_TLS_CREDENTIALS_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace jkoflow {

// TlsFiles are the PEM files of --tls_cert, --tls_key and --tls_client_ca;
// empty: not given.
struct TlsFiles {
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
};

// ServerCredentialsFor() is plaintext when tls_cert and tls_key are
// both empty, else TLS with that PEM certificate chain and key; with
// tls_client_ca it also requires and verifies a client certificate
// signed by that CA. Each file is read and parsed up front, so a missing,
// unreadable or non-PEM file, or a key that does not match the certificate,
// is an INVALID_ARGUMENT naming the flag and the file.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const TlsFiles& options);

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_AUTH_TLS_CREDENTIALS_H_
