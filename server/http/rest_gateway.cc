#include "server/http/rest_gateway.h"

#include <grpcpp/client_context.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/host_port.h"
#include "base/status_macros.h"
#include "inference/grpc_service.grpc.pb.h"
#include "server/http/http_status.h"
#include "server/http/oip_json.h"

namespace jkoflow {
namespace {

using nlohmann::json;
using Stub = inference::GRPCInferenceService::Stub;

// The model routes: name, then an optional version.
constexpr char kModel[] = R"(/v2/models/([^/]+)(?:/versions/([^/]+))?)";
constexpr char kTooBig[] = "the body is over --http_max_body_bytes";

void SendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace),
                  "application/json");
}

void SendError(httplib::Response& res, const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    res.set_header("WWW-Authenticate", "Bearer");
  }
  SendJson(res, HttpStatusFor(status.error_code()),
           {{"error", status.error_message()}});
}

bool PrintableAscii(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// Forward() runs `call` (a Stub method bound to its request and response)
// with the request's deadline and Authorization header; false (and the
// error sent) when it failed.
template <typename Call>
bool Forward(const httplib::Request& req, httplib::Response& res,
             absl::Duration timeout, Call call) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(timeout));
  if (req.has_header("Authorization")) {
    const std::string value = req.get_header_value("Authorization");
    if (!PrintableAscii(value)) {
      SendError(res, grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                  "Authorization: not printable ASCII"));
      return false;
    }
    context.AddMetadata("authorization", value);
  }
  const grpc::Status status = call(&context);
  if (!status.ok()) SendError(res, status);
  return status.ok();
}

// SendBool() answers a live/ready route: 200 when true, 400 when false.
void SendBool(httplib::Response& res, const char* key, bool value) {
  SendJson(res, value ? 200 : 400, {{key, value}});
}

std::string Match(const httplib::Request& req, size_t i) {
  return i < req.matches.size() ? req.matches[i].str() : std::string();
}

// ReadBody() reads a request body through httplib's reader (which
// enforces --http_max_body_bytes); false, the error sent, when it could
// not.
bool ReadBody(const httplib::ContentReader& reader, httplib::Response& res,
              std::string* body) {
  if (reader([&](const char* data, size_t size) {
        body->append(data, size);
        return true;
      })) {
    return true;
  }
  const bool too_big = res.status == 413;
  SendJson(res, too_big ? 413 : 400,
           {{"error", too_big ? kTooBig : "the body could not be read"}});
  return false;
}

// Infer() answers POST …/infer with `body`.
void Infer(Stub& stub, absl::Duration timeout, const httplib::Request& req,
           const std::string& body, httplib::Response& res) {
  absl::StatusOr<inference::ModelInferRequest> request =
      InferRequestFromJson(body, Match(req, 1), Match(req, 2));
  if (!request.ok()) {
    SendJson(res, 400, {{"error", std::string(request.status().message())}});
    return;
  }
  inference::ModelInferResponse r;
  if (Forward(req, res, timeout, [&](grpc::ClientContext* c) {
        return stub.ModelInfer(c, *request, &r);
      })) {
    SendJson(res, 200, InferResponseToJson(r));
  }
}

// AddHealthRoutes() adds live, ready and server metadata.
void AddHealthRoutes(httplib::Server& http, std::shared_ptr<Stub> stub,
                     absl::Duration timeout) {
  http.Get("/v2/health/live", [stub, timeout](const httplib::Request& req,
                                              httplib::Response& res) {
    inference::ServerLiveResponse r;
    if (Forward(req, res, timeout, [&](grpc::ClientContext* c) {
          return stub->ServerLive(c, inference::ServerLiveRequest(), &r);
        })) {
      SendBool(res, "live", r.live());
    }
  });
  http.Get("/v2/health/ready", [stub, timeout](const httplib::Request& req,
                                               httplib::Response& res) {
    inference::ServerReadyResponse r;
    if (Forward(req, res, timeout, [&](grpc::ClientContext* c) {
          return stub->ServerReady(c, inference::ServerReadyRequest(), &r);
        })) {
      SendBool(res, "ready", r.ready());
    }
  });
  http.Get("/v2", [stub, timeout](const httplib::Request& req,
                                  httplib::Response& res) {
    inference::ServerMetadataResponse r;
    if (Forward(req, res, timeout, [&](grpc::ClientContext* c) {
          return stub->ServerMetadata(c, inference::ServerMetadataRequest(),
                                      &r);
        })) {
      SendJson(res, 200, ServerMetadataToJson(r));
    }
  });
}

// AddModelRoutes() adds a model's metadata and ready.
void AddModelRoutes(httplib::Server& http, std::shared_ptr<Stub> stub,
                    absl::Duration timeout) {
  http.Get(kModel, [stub, timeout](const httplib::Request& req,
                                   httplib::Response& res) {
    inference::ModelMetadataRequest request;
    request.set_name(Match(req, 1));
    request.set_version(Match(req, 2));
    inference::ModelMetadataResponse r;
    if (Forward(req, res, timeout, [&](grpc::ClientContext* c) {
          return stub->ModelMetadata(c, request, &r);
        })) {
      SendJson(res, 200, ModelMetadataToJson(r));
    }
  });
  http.Get(
      absl::StrCat(kModel, "/ready"),
      [stub, timeout](const httplib::Request& req, httplib::Response& res) {
        inference::ModelReadyRequest request;
        request.set_name(Match(req, 1));
        request.set_version(Match(req, 2));
        inference::ModelReadyResponse r;
        if (Forward(req, res, timeout, [&](grpc::ClientContext* c) {
              return stub->ModelReady(c, request, &r);
            })) {
          SendBool(res, "ready", r.ready());
        }
      });
}

// AddInferRoute() adds POST …/infer.
void AddInferRoute(httplib::Server& http, std::shared_ptr<Stub> stub,
                   absl::Duration timeout) {
  // With a content reader, so that any Content-Type is read as JSON
  // (httplib caps form-encoded bodies, curl -d's default, at 8 KiB).
  http.Post(absl::StrCat(kModel, "/infer"),
            [stub, timeout](const httplib::Request& req, httplib::Response& res,
                            const httplib::ContentReader& reader) {
              std::string body;
              if (ReadBody(reader, res, &body)) {
                Infer(*stub, timeout, req, body, res);
              }
            });
}

// SetErrorHandlers() makes every error a JSON body.
void SetErrorHandlers(httplib::Server& http) {
  // Unknown routes, bodies over the limit and the like: a JSON error too.
  http.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        const char* what = res.status == 404   ? "no such route"
                           : res.status == 413 ? kTooBig
                                               : "bad request";
        SendJson(res, res.status, {{"error", what}});
        return httplib::Server::HandlerResponse::Handled;
      }));
  http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        SendJson(res, 500, {{"error", "internal error"}});
      });
}

}  // namespace

absl::StatusOr<std::unique_ptr<RestGateway>> RestGateway::Start(
    const Options& options, std::shared_ptr<grpc::Channel> channel) {
  ASSIGN_OR_RETURN(const HostPort address,
                   ParseHostPort(options.listen, "--http_listen"));
  const std::string host = Unbracketed(address.host);
  const int port = address.port;
  std::unique_ptr<RestGateway> g(new RestGateway());
  const TlsFiles& tls = options.tls;
  if (!tls.tls_cert.empty() || !tls.tls_key.empty()) {
    g->http_ = std::make_unique<httplib::SSLServer>(
        tls.tls_cert.c_str(), tls.tls_key.c_str(),
        tls.tls_client_ca.empty() ? nullptr : tls.tls_client_ca.c_str());
  } else {
    g->http_ = std::make_unique<httplib::Server>();
  }
  if (!g->http_->is_valid()) {
    return absl::InvalidArgumentError(
        "--http_listen: the TLS certificate, key or client CA cannot be used");
  }
  g->http_->set_payload_max_length(static_cast<size_t>(options.max_body_bytes));
  g->AddRoutes(std::move(channel), options.timeout);
  const int bound = port == 0
                        ? g->http_->bind_to_any_port(host)
                        : (g->http_->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    return absl::UnavailableError(
        absl::StrCat("--http_listen: cannot listen on ", options.listen));
  }
  g->address_ = absl::StrCat(address.host, ":", bound);
  g->thread_ =
      std::thread([http = g->http_.get()] { http->listen_after_bind(); });
  return g;
}

void RestGateway::AddRoutes(std::shared_ptr<grpc::Channel> channel,
                            absl::Duration timeout) {
  auto stub = std::make_shared<Stub>(channel);
  AddHealthRoutes(*http_, stub, timeout);
  AddModelRoutes(*http_, stub, timeout);
  AddInferRoute(*http_, stub, timeout);
  SetErrorHandlers(*http_);
}

void RestGateway::Stop() {
  if (http_ != nullptr) http_->stop();
  if (thread_.joinable()) thread_.join();
}

RestGateway::~RestGateway() { Stop(); }

}  // namespace jkoflow
