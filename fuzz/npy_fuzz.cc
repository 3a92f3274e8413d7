// npy_fuzz: ReadNpy() (base/array_file.h) on arbitrary file contents:
// preamble, header dict, shape arithmetic and data of an untrusted .npy
// training file. An accepted file must be a consistent, finite, non-empty
// matrix no larger than its data.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "base/array_file.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/scratch_dir.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string* const path =
      new std::string(jkoflow::ScratchDir() + "/input.npy");
  jkoflow::WriteScratchFile(*path, data, size);
  const absl::StatusOr<jkoflow::Array2D> array = jkoflow::ReadNpy(*path);
  if (!array.ok()) return 0;
  FUZZ_CHECK(array->rows >= 1 && array->cols >= 1);
  FUZZ_CHECK(array->values.size() ==
             static_cast<size_t>(array->rows * array->cols));
  // Every value came from at least four bytes of the file.
  FUZZ_CHECK(array->values.size() * 4 <= size);
  for (const double v : array->values) FUZZ_CHECK(std::isfinite(v));
  return 0;
}
