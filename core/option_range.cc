#include "core/option_range.h"

#include "absl/strings/str_cat.h"

namespace jkoflow {

absl::Status CheckRange(const OptionRange& range, absl::string_view name,
                        double value) {
  if (range.contains(value)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(name, ": must be ", range.text, ", got ", value));
}

}  // namespace jkoflow
