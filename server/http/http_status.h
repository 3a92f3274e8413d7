#ifndef JKOFLOW_SERVER_HTTP_HTTP_STATUS_H_
#define JKOFLOW_SERVER_HTTP_HTTP_STATUS_H_

#include <grpcpp/support/status.h>

namespace jkoflow {

// HttpStatusFor() is the HTTP status a REST route answers for a gRPC
// status code (the one place they meet): OK 200; INVALID_ARGUMENT,
// FAILED_PRECONDITION and OUT_OF_RANGE 400; UNAUTHENTICATED 401;
// PERMISSION_DENIED 403; NOT_FOUND 404; ALREADY_EXISTS and ABORTED 409;
// RESOURCE_EXHAUSTED 429; CANCELLED 499; UNIMPLEMENTED 501; UNAVAILABLE
// 503; DEADLINE_EXCEEDED 504; anything else 500.
int HttpStatusFor(grpc::StatusCode code);

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_HTTP_HTTP_STATUS_H_
