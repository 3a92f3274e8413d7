#ifndef JKOFLOW_CLIENT_PLOT_TICKS_H_
#define JKOFLOW_CLIENT_PLOT_TICKS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace jkoflow {

// NiceStep() is the tick spacing for [lo, hi]: 1, 2 or 5 × 10^k, the
// smallest such step that puts at most `target` + 1 of its multiples on
// the interval.
// Expects finite lo < hi and target ≥ 1; returns 0 otherwise.
double NiceStep(double lo, double hi, int target = 5);

// NiceTicks() is every multiple of NiceStep(lo, hi, target) in [lo, hi],
// ascending: at most target + 1 of them, and at least two when target ≥ 5
// (the next smaller nice step, at most 2.5 times smaller, puts more than
// target + 1 there). Empty for a non-finite or
// empty interval.
std::vector<double> NiceTicks(double lo, double hi, int target = 5);

// LogTicks() is the ticks of a log10 axis over [lo, hi] (values, not
// logarithms; expects 0 < lo < hi): the powers of ten inside when there are
// at least three, every k-th one so that at most `max_ticks` remain;
// otherwise 1, 2 and 5 × 10^k (at most eight); when fewer than two of
// those fall inside, NiceTicks().
std::vector<double> LogTicks(double lo, double hi, int max_ticks = 6);

// FormatTick() is the label of tick `value` on an axis whose ticks are
// `step` apart: just enough decimals for the step ("0.5", "-2", "0.25"),
// thousands separated ("12,000"), and m×10ⁿ for very small or large
// magnitudes ("2×10⁻⁶"). A value within step / 10⁶ of zero prints "0".
std::string FormatTick(double value, double step);

// FormatLogTicks() labels the ticks of one log axis alike: plain numbers
// ("0.01", "2", "1,000") when all lie in [0.001, 10⁴), else "10ⁿ" for the
// powers of ten and FormatTick() for the rest ("2×10⁻⁵").
std::vector<std::string> FormatLogTicks(const std::vector<double>& ticks);

// GroupThousands() puts thousands separators into the integer digits of
// the decimal number `number` ("-12345.5" → "-12,345.5").
std::string GroupThousands(const std::string& number);

// WithThousands() is `n` with thousands separators ("12,345").
std::string WithThousands(int64_t n);

// Superscript() is `n` in Unicode superscript digits ("⁻¹²").
std::string Superscript(int n);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_PLOT_TICKS_H_
