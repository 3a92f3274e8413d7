#include "base/sha256.h"

#include <openssl/sha.h>

#include <array>

namespace jkoflow {

std::string Sha256Hex(absl::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest;
  // OpenSSL's one-shot SHA256() (libcrypto, which gRPC links already).
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         digest.data());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * digest.size());
  for (unsigned char byte : digest) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 0xf]);
  }
  return hex;
}

}  // namespace jkoflow
