#ifndef JKOFLOW_BENCH_PEAK_RSS_H_
#define JKOFLOW_BENCH_PEAK_RSS_H_

namespace jkoflow {

// PeakRssMb() reads this process's resident-set high-water mark (VmHWM) in
// MB; −1 where /proc does not tell.
double PeakRssMb();

// ResetPeakRss() resets the high-water mark to the current RSS (Linux ≥
// 4.0), so that the next PeakRssMb() measures one piece of work.
void ResetPeakRss();

}  // namespace jkoflow

#endif  // JKOFLOW_BENCH_PEAK_RSS_H_
