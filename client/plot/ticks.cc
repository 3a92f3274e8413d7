#include "client/plot/ticks.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace jkoflow {

double NiceStep(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi) || target < 1) {
    return 0;
  }
  // Start a decade below the step that would give exactly `target` gaps.
  const double raw = (hi - lo) / target;
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)) - 1);
  while (true) {
    for (const double m : {1.0, 2.0, 5.0}) {
      const double step = m * magnitude;
      const double count =
          std::floor(hi / step + 1e-9) - std::ceil(lo / step - 1e-9) + 1;
      if (count <= target + 1) return step;
    }
    magnitude *= 10;
  }
}

std::vector<double> NiceTicks(double lo, double hi, int target) {
  const double step = NiceStep(lo, hi, target);
  if (!(step > 0)) return {};
  std::vector<double> ticks;
  const double slack = step * 1e-9;  // an end that is a multiple stays in
  for (double k = std::ceil((lo - slack) / step); k * step <= hi + slack; ++k) {
    ticks.push_back(k * step + 0.0);  // + 0.0: no "-0"
  }
  return ticks;
}

std::vector<double> LogTicks(double lo, double hi, int max_ticks) {
  if (!(lo > 0) || !(lo < hi) || !std::isfinite(hi)) return {};
  const double slack = 1e-9;
  const int first = static_cast<int>(std::ceil(std::log10(lo) - slack));
  const int last = static_cast<int>(std::floor(std::log10(hi) + slack));
  std::vector<double> ticks;
  if (last - first + 1 >= 3) {
    const int every = (last - first) / std::max(1, max_ticks) + 1;
    for (int e = first; e <= last; e += every) {
      ticks.push_back(std::pow(10.0, e));
    }
    return ticks;
  }
  // Under three decades (so at most eight ticks): 1-2-5 steps.
  for (int e = first - 1; e <= last; ++e) {
    for (const double m : {1.0, 2.0, 5.0}) {
      const double v = m * std::pow(10.0, e);
      if (v >= lo * (1 - slack) && v <= hi * (1 + slack)) ticks.push_back(v);
    }
  }
  return ticks.size() >= 2 ? ticks : NiceTicks(lo, hi);
}

std::string GroupThousands(const std::string& number) {
  const size_t sign = !number.empty() && number[0] == '-' ? 1 : 0;
  size_t end = number.find('.');
  if (end == std::string::npos) end = number.size();
  std::string out = number.substr(0, sign);
  for (size_t i = sign; i < end; ++i) {
    out += number[i];
    const size_t left = end - i - 1;
    if (left > 0 && left % 3 == 0) out += ',';
  }
  return out + number.substr(end);
}

std::string WithThousands(int64_t n) { return GroupThousands(absl::StrCat(n)); }

std::string Superscript(int n) {
  static constexpr std::array<const char*, 10> kDigits = {
      "⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};
  const std::string digits = absl::StrCat(std::abs(n));
  std::string out = n < 0 ? "⁻" : "";
  for (const char d : digits) out += kDigits[d - '0'];
  return out;
}

std::string FormatTick(double value, double step) {
  if (std::fabs(value) <= std::fabs(step) * 1e-6) return "0";
  const double magnitude = std::max(std::fabs(value), std::fabs(step));
  if (std::fabs(step) < 1e-4 || magnitude >= 1e7) {
    const int exponent = static_cast<int>(std::floor(std::log10(magnitude)));
    const double mantissa = value / std::pow(10.0, exponent);
    const std::string m = absl::StrFormat("%.3g", mantissa);
    return absl::StrCat(m == "1" ? "" : absl::StrCat(m, "×"), "10",
                        Superscript(exponent));
  }
  const int decimals = std::max(
      0, static_cast<int>(std::ceil(-std::log10(std::fabs(step)) - 1e-9)));
  return GroupThousands(absl::StrFormat("%.*f", decimals, value));
}

std::vector<std::string> FormatLogTicks(const std::vector<double>& ticks) {
  const bool plain = std::all_of(ticks.begin(), ticks.end(), [](double v) {
    return v >= 1e-3 * (1 - 1e-9) && v < 1e4;
  });
  std::vector<std::string> labels;
  for (const double v : ticks) {
    const double exponent = std::floor(std::log10(v) + 1e-9);
    const bool decade = std::fabs(std::log10(v) - exponent) < 1e-9;
    labels.push_back(
        !plain && decade
            ? absl::StrCat("10", Superscript(static_cast<int>(exponent)))
            : FormatTick(v, std::pow(10.0, exponent)));
  }
  return labels;
}

}  // namespace jkoflow
