#ifndef JKOFLOW_BASE_SHA256_H_
#define JKOFLOW_BASE_SHA256_H_

#include <string>

#include "absl/strings/string_view.h"

namespace jkoflow {

// Sha256Hex returns the SHA-256 digest (FIPS 180-4, computed by OpenSSL's
// libcrypto) of `data` as 64 lowercase hexadecimal characters. Any byte
// sequence, including an empty one, is valid input; the function cannot
// fail.
std::string Sha256Hex(absl::string_view data);

}  // namespace jkoflow

#endif  // JKOFLOW_BASE_SHA256_H_
