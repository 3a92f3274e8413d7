#ifndef JKOFLOW_CLIENT_CREDENTIALS_H_
#define JKOFLOW_CLIENT_CREDENTIALS_H_

#include <grpcpp/security/credentials.h>
#include <grpcpp/support/client_interceptor.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace jkoflow {

// ClientSecurity is how a client proves who it is and checks the server.
// All empty: plaintext, no token (a server without --auth_token_file).
struct ClientSecurity {
  // PEM CA certificates that signed the server's certificate; non-empty
  // turns TLS on.
  std::string tls_ca_file;
  // PEM client certificate and key, both or neither, for a server with
  // --tls_client_ca (needs tls_ca_file).
  std::string tls_cert_file;
  std::string tls_key_file;
  // Bearer token sent as "authorization: Bearer TOKEN" on every call.
  std::string token;
};

// ChannelCredentialsFor() is plaintext or TLS as `security` asks.
// INVALID_ARGUMENT names the field of a file that cannot be read or a
// certificate given without its key.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFor(
    const ClientSecurity& security);

// TokenInterceptors() adds the bearer token to every call of a channel
// (none when the token is empty); pass them to
// grpc::experimental::CreateCustomChannelWithInterceptors.
std::vector<
    std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
TokenInterceptors(const std::string& token);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_CREDENTIALS_H_
