#include "server/auth/tls_credentials.h"

#include <grpcpp/security/server_credentials.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/atomic_file.h"
#include "base/status_macros.h"

namespace jkoflow {
namespace {

// A PEM file's text, read once, with the flag it came from for messages.
struct PemFile {
  std::string flag;
  std::string path;
  std::string text;
};

absl::StatusOr<PemFile> ReadPem(const std::string& flag,
                                const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok() || text->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, " ", path, ": cannot read the file"));
  }
  return PemFile{flag, path, *std::move(text)};
}

std::string Name(const PemFile& file) {
  return absl::StrCat("--", file.flag, " ", file.path);
}

// Holds one OpenSSL object and frees it with `Free`.
template <typename T, void (*Free)(T*)>
struct Owned {
  explicit Owned(T* p) : ptr(p) {}
  ~Owned() {
    if (ptr != nullptr) Free(ptr);
  }
  T* ptr;
};

// CheckKeyMatches() parses the certificate and the key and checks that the
// key is the certificate's private key.
absl::Status CheckKeyMatches(const PemFile& cert, const PemFile& key) {
  Owned<BIO, BIO_free_all> cert_bio(
      BIO_new_mem_buf(cert.text.data(), static_cast<int>(cert.text.size())));
  Owned<X509, X509_free> x509(
      PEM_read_bio_X509(cert_bio.ptr, nullptr, nullptr, nullptr));
  if (x509.ptr == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(Name(cert), ": not a PEM certificate"));
  }
  Owned<BIO, BIO_free_all> key_bio(
      BIO_new_mem_buf(key.text.data(), static_cast<int>(key.text.size())));
  Owned<EVP_PKEY, EVP_PKEY_free> pkey(
      PEM_read_bio_PrivateKey(key_bio.ptr, nullptr, nullptr, nullptr));
  if (pkey.ptr == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(Name(key), ": not an unencrypted PEM private key"));
  }
  if (X509_check_private_key(x509.ptr, pkey.ptr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        Name(key), ": does not match the certificate in ", Name(cert)));
  }
  return absl::OkStatus();
}

absl::Status CheckCertificate(const PemFile& file) {
  Owned<BIO, BIO_free_all> bio(
      BIO_new_mem_buf(file.text.data(), static_cast<int>(file.text.size())));
  Owned<X509, X509_free> x509(
      PEM_read_bio_X509(bio.ptr, nullptr, nullptr, nullptr));
  if (x509.ptr == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(Name(file), ": not a PEM certificate"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const TlsFiles& options) {
  if (options.tls_cert.empty() && options.tls_key.empty()) {
    if (!options.tls_client_ca.empty()) {
      return absl::InvalidArgumentError(
          "--tls_client_ca: needs --tls_cert and --tls_key");
    }
    return grpc::InsecureServerCredentials();
  }
  if (options.tls_cert.empty() || options.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert and --tls_key: give both or neither");
  }
  ASSIGN_OR_RETURN(const PemFile cert, ReadPem("tls_cert", options.tls_cert));
  ASSIGN_OR_RETURN(const PemFile key, ReadPem("tls_key", options.tls_key));
  RETURN_IF_ERROR(CheckKeyMatches(cert, key));
  grpc::SslServerCredentialsOptions ssl(
      GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  ssl.pem_key_cert_pairs.push_back({key.text, cert.text});
  if (!options.tls_client_ca.empty()) {
    ASSIGN_OR_RETURN(const PemFile ca,
                     ReadPem("tls_client_ca", options.tls_client_ca));
    RETURN_IF_ERROR(CheckCertificate(ca));
    ssl.pem_root_certs = ca.text;
    ssl.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

}  // namespace jkoflow
