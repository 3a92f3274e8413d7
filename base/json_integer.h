#ifndef JKOFLOW_BASE_JSON_INTEGER_H_
#define JKOFLOW_BASE_JSON_INTEGER_H_

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

namespace jkoflow {

// JsonInteger<T>() reads `j` as an integer of type T. nlohmann's get<T>()
// converts a floating-point JSON number with a plain cast, which is
// undefined behaviour when the value does not fit (a damaged file's
// "dim": 1e300, found by fuzz/); this takes only integer JSON numbers
// within T's range and throws nlohmann::json::type_error otherwise, which
// the file readers already turn into a DATA_LOSS status.
template <typename T>
T JsonInteger(const nlohmann::json& j) {
  static_assert(std::is_integral_v<T>, "JsonInteger reads integers");
  using Limits = std::numeric_limits<T>;
  if (j.is_number_unsigned()) {
    const uint64_t v = j.get<uint64_t>();
    if (v <= static_cast<uint64_t>(Limits::max())) return static_cast<T>(v);
  } else if (j.is_number_integer()) {  // negative
    const int64_t v = j.get<int64_t>();
    if constexpr (std::is_signed_v<T>) {
      if (v >= Limits::min() && v <= Limits::max()) return static_cast<T>(v);
    }
  }
  throw nlohmann::json::type_error::create(
      302,
      "expected an integer that fits, got " +
          (j.is_number() ? j.dump() : std::string(j.type_name())),
      &j);
}

}  // namespace jkoflow

#endif  // JKOFLOW_BASE_JSON_INTEGER_H_
