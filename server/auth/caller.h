#ifndef JKOFLOW_SERVER_AUTH_CALLER_H_
#define JKOFLOW_SERVER_AUTH_CALLER_H_

#include <string>

namespace jkoflow {

// Caller is who makes a training call on a server with --auth_token_file:
// `id` is the token's stable, non-secret owner id (TokenOwnerId() in
// auth_tokens.h), recorded as the owner of the jobs and model names it
// creates; `admin` lifts the ownership checks. A server without tokens
// passes no Caller (nullptr) and checks no ownership.
struct Caller {
  std::string id;
  bool admin = false;
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_AUTH_CALLER_H_
