#include "client/cli/job_progress.h"

#include <sstream>
#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace jkoflow {
namespace {

v1::JobEvent Event(int64_t block, int64_t iteration, double loss, double eta) {
  v1::JobEvent event;
  event.mutable_job()->set_id("j1");
  event.mutable_job()->set_state(v1::JOB_STATE_RUNNING);
  event.mutable_job()->set_blocks_total(4);
  event.mutable_job()->set_iterations(300);
  event.set_block(block);
  event.set_iteration(iteration);
  event.set_loss(loss);
  event.set_eta_seconds(eta);
  return event;
}

TEST(JobProgressTest, FormatsAProgressLine) {
  EXPECT_EQ(FormatProgressLine(Event(2, 150, 3.21, 12.4)),
            "block 2/4 iter 150/300 loss 3.21 eta 12s");
}

TEST(JobProgressTest, FormatsEtas) {
  EXPECT_EQ(FormatEta(0), "0s");
  EXPECT_EQ(FormatEta(59.4), "59s");
  EXPECT_EQ(FormatEta(185), "3m05s");
  EXPECT_EQ(FormatEta(7620), "2h07m");
  EXPECT_EQ(FormatEta(-1), "?");
}

TEST(JobProgressTest, FractionCountsFinishedBlocks) {
  EXPECT_DOUBLE_EQ(JobFraction(Event(1, 0, 0, 0)), 0.0);
  EXPECT_DOUBLE_EQ(JobFraction(Event(2, 150, 0, 0)), 1.5 / 4);
  EXPECT_DOUBLE_EQ(JobFraction(Event(4, 300, 0, 0)), 1.0);
  v1::JobEvent unknown = Event(2, 150, 0, 0);
  unknown.mutable_job()->set_blocks_total(0);
  EXPECT_DOUBLE_EQ(JobFraction(unknown), 0.0);
}

TEST(JobProgressTest, SummariesSayTheOutcome) {
  v1::Job job;
  job.set_id("j1");
  job.set_state(v1::JOB_STATE_SUCCEEDED);
  job.set_model_name("gauss");
  job.set_model_version(2);
  job.set_blocks_done(4);
  job.set_blocks_total(4);
  job.set_last_loss(2.91);
  EXPECT_EQ(FormatJobSummary(job),
            "job j1 SUCCEEDED: model gauss version 2, 4/4 blocks, last loss "
            "2.91");
  job.set_state(v1::JOB_STATE_FAILED);
  job.set_blocks_done(1);
  job.set_error("loss is NaN");
  EXPECT_EQ(FormatJobSummary(job),
            "job j1 FAILED after 1/4 blocks: loss is NaN");
}

TEST(JobProgressTest, PlainOutputIsThrottledButShowsEachNewBlock) {
  std::ostringstream out;
  ProgressReporter reporter(out, /*tty=*/false, absl::Hours(1));
  reporter.OnEvent(Event(1, 10, 5.0, 30));
  reporter.OnEvent(Event(1, 20, 4.0, 29));  // throttled
  reporter.OnEvent(Event(2, 0, 3.0, 20));   // new block
  v1::JobEvent last = Event(4, 300, 1, 0);
  last.mutable_job()->set_state(v1::JOB_STATE_SUCCEEDED);
  reporter.OnEvent(last);  // left to Finish()
  reporter.Finish(last.job());
  EXPECT_EQ(out.str(),
            "block 1/4 iter 10/300 loss 5 eta 30s\n"
            "block 2/4 iter 0/300 loss 3 eta 20s\n"
            "job j1 SUCCEEDED: model  version 0, 0/4 blocks, last loss 0\n");
}

TEST(JobProgressTest, TerminalOutputRedrawsOneBar) {
  std::ostringstream out;
  ProgressReporter reporter(out, /*tty=*/true);
  reporter.OnEvent(Event(1, 150, 5.0, 30));
  reporter.OnEvent(Event(3, 0, 4.0, 10));
  reporter.EndBar();
  const std::string text = out.str();
  EXPECT_EQ(text.find('\n'), text.size() - 1) << text;
  EXPECT_NE(text.find("\r[###"), std::string::npos) << text;
  EXPECT_NE(text.find(" 50% block 3/4 iter 0/300"), std::string::npos) << text;
}

}  // namespace
}  // namespace jkoflow
