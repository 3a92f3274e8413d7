#ifndef JKOFLOW_CORE_OPTION_RANGE_H_
#define JKOFLOW_CORE_OPTION_RANGE_H_

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace jkoflow {

// OptionRange is the set of allowed values of one numeric option and the
// words that errors use for it. A module that owns an option defines its
// range once (e.g. kWidthRange in core/velocity_field.h); the module's
// validator and the trainer option table (core/trainer_option_table) both
// read it.
struct OptionRange {
  const char* text;                // e.g. "in [1, 8192]"; "" for any value
  bool (*contains)(double value);  // whether `value` is allowed
};

// CheckRange() is INVALID_ARGUMENT "<name>: must be <text>, got <value>"
// when `value` is outside `range`, else OK.
absl::Status CheckRange(const OptionRange& range, absl::string_view name,
                        double value);

// Ranges that several options share.
inline constexpr OptionRange kAnyValue{"", [](double) { return true; }};
inline constexpr OptionRange kPositiveFinite{
    "positive and finite", [](double v) { return v > 0 && std::isfinite(v); }};
inline constexpr OptionRange kNonNegativeFinite{
    "≥ 0 and finite", [](double v) { return v >= 0 && std::isfinite(v); }};
inline constexpr OptionRange kNonNegativeCount{
    "≥ 0", [](double v) { return v >= 0 && std::isfinite(v); }};
inline constexpr OptionRange kAtLeastOne{"≥ 1",
                                         [](double v) { return v >= 1; }};

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_OPTION_RANGE_H_
