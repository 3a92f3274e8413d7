#include "client/plot/report.h"

#include <stdlib.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tests/client/plot/read_png.h"

namespace jkoflow {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Three blocks: 1 and 3 with diagnostics (3 with NaNs), 2 without.
v1::ModelInfo ThreeBlocks(int dim) {
  v1::ModelInfo model;
  model.set_name("toy");
  model.set_version(4);
  model.set_dim(dim);
  model.set_inversion_error(1e-6);
  const double kl[] = {5.0, 3.0, 2.2};
  for (int k = 1; k <= 3; ++k) {
    v1::BlockInfo* block = model.add_blocks();
    block->set_index(k);
    block->set_h(0.5 * k);
    v1::BlockStats* stats = block->mutable_stats();
    stats->set_loss(2.0 - 0.5 * k);
    stats->set_potential(1.0 + 0.1 * k);
    stats->set_neg_divergence(-0.5 * k);
    stats->set_movement_term(0.2 / k);
    stats->set_inversion_error(k == 3 ? kNaN : std::pow(10.0, -4 - k));
    stats->set_kl_decrease(k == 1 ? 1.5 : kl[k - 2] - kl[k - 1]);
    stats->set_kl_decrease_std_error(0.1);
    v1::BlockDiagnostics* d = block->mutable_diagnostics();
    d->set_step_sum(0.5 * k * (k + 1) / 2);
    d->set_kl_plus_entropy(kl[k - 1]);
    if (k == 2) continue;  // no diagnostics: points = 0
    d->set_points(200);
    d->set_first_order_residual(k == 3 ? kNaN : 0.03);
    d->set_residual_floor(0.01 * k);
    d->set_first_order_residual_std_error(0.004);
    d->set_stein_residual(0.002 * k);
    d->set_stein_residual_std_error(0.001);
    d->set_certificate(k == 3 ? kNaN : 0.8);
    d->set_convergence_kl_bound(k == 3 ? kNaN : 2.0 / k);
    d->set_start_distance(k == 1 ? 13.0 : kNaN);
    d->set_lipschitz_product(1.5 * k);
    d->set_inverse_lipschitz_product(k == 3 ? kNaN : 2.0);
    d->set_step_above_bound(k == 3);
  }
  return model;
}

PointMatrix Gaussian(int n) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  PointMatrix m;
  m.rows = n;
  m.cols = 2;
  for (int i = 0; i < 2 * n; ++i) m.values.push_back(normal(rng));
  return m;
}

// The part of a panel below its title band.
Rect Body(const Rect& panel) {
  return {panel.x + 2, panel.y + 32, panel.width - 4, panel.height - 34};
}

// Its title band.
Rect TitleBand(const Rect& panel) {
  return {panel.x + 2, panel.y + 2, panel.width - 4, 26};
}

int Count(const Figure& figure, const Rect& rect, bool coloured) {
  return CountPixels(figure, rect, coloured);
}

// Pixels that differ between two figures of the same size.
int Differences(const Figure& a, const Figure& b) {
  int count = 0;
  for (int y = 0; y < a.height(); ++y) {
    for (int x = 0; x < a.width(); ++x) {
      const Rgb8 p = a.Pixel(x, y), q = b.Pixel(x, y);
      count += p.r != q.r || p.g != q.g || p.b != q.b;
    }
  }
  return count;
}

TEST(ReportTest, DrawsEveryPanelOfA2DModel) {
  const PointMatrix samples = Gaussian(2000);
  absl::StatusOr<Figure> image = RenderReport(ThreeBlocks(2), &samples);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->width(), kReportWidth);
  EXPECT_EQ(image->height(), kReportHeight);
  // The header names the model and its version: text, in grey ink.
  const Rect header = {0, 0, kReportWidth, kReportHeaderHeight};
  EXPECT_GT(Count(*image, header, false), 300);
  EXPECT_EQ(Count(*image, header, true), 0);
  for (int i = 0; i < kReportPanels; ++i) {
    const auto panel = static_cast<ReportPanel>(i);
    const Rect rect = ReportPanelRect(panel);
    EXPECT_LE(rect.x + rect.width, kReportWidth) << i;
    EXPECT_LE(rect.y + rect.height, kReportHeight) << i;
    EXPECT_GT(Count(*image, TitleBand(rect), false), 0) << "title of " << i;
    EXPECT_GT(Count(*image, Body(rect), false), 0) << "body of " << i;
    if (panel != ReportPanel::kNotes) {
      // Lines in colour, or the density in blue.
      EXPECT_GT(Count(*image, Body(rect), true), 0) << "data of " << i;
    }
  }
}

TEST(ReportTest, OtherDimensionsGetANoteInsteadOfTheDensity) {
  absl::StatusOr<Figure> image = RenderReport(ThreeBlocks(10), nullptr);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->width(), kReportWidth);
  const Rect density = ReportPanelRect(ReportPanel::kDensity);
  EXPECT_GT(Count(*image, Body(density), false), 50);  // the note
  EXPECT_EQ(Count(*image, Body(density), true), 0);    // no density
}

TEST(ReportTest, BlocksWithoutDiagnosticsDrawNoDiagnostics) {
  // Whatever block 2 holds besides its trajectory is not drawn.
  v1::ModelInfo noisy = ThreeBlocks(10);
  v1::BlockDiagnostics* d = noisy.mutable_blocks(1)->mutable_diagnostics();
  d->set_first_order_residual(1e30);
  d->set_residual_floor(7);
  d->set_lipschitz_product(1e-30);
  d->set_inverse_lipschitz_product(1e9);
  d->set_convergence_kl_bound(1e12);
  absl::StatusOr<Figure> clean = RenderReport(ThreeBlocks(10), nullptr);
  absl::StatusOr<Figure> changed = RenderReport(noisy, nullptr);
  ASSERT_TRUE(clean.ok() && changed.ok());
  EXPECT_EQ(Differences(*clean, *changed), 0);
}

TEST(ReportTest, LogPanelsWithoutPositiveValuesStillRender) {
  v1::ModelInfo model = ThreeBlocks(10);
  for (v1::BlockInfo& block : *model.mutable_blocks()) {
    block.mutable_stats()->set_inversion_error(-1);
    block.mutable_diagnostics()->set_first_order_residual(0);
    block.mutable_diagnostics()->set_residual_floor(-kNaN);
    block.mutable_diagnostics()->set_kl_plus_entropy(1.0);  // no decrease
  }
  absl::StatusOr<Figure> image = RenderReport(model, nullptr);
  ASSERT_TRUE(image.ok()) << image.status();
  const Rect inversion = ReportPanelRect(ReportPanel::kInversion);
  EXPECT_GT(Count(*image, Body(inversion), false), 0);  // "no data"
  EXPECT_EQ(Count(*image, Body(inversion), true), 0);   // no line
}

TEST(ReportTest, AModelWithoutBlocksIsAnError) {
  v1::ModelInfo model;
  model.set_name("empty");
  model.set_dim(2);
  const absl::StatusOr<Figure> image = RenderReport(model, nullptr);
  EXPECT_EQ(image.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(image.status().message().find("no blocks"), std::string::npos)
      << image.status();
  EXPECT_EQ(CheckReportable(model).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(ReportTest, SamplesMustBeTwoDimensional) {
  PointMatrix samples;
  samples.rows = 2;
  samples.cols = 3;
  samples.values = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(RenderReport(ThreeBlocks(2), &samples).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ReportTest, NonFiniteSamplesAreLeftOut) {
  PointMatrix samples = Gaussian(500);
  samples.values[0] = std::numeric_limits<float>::infinity();
  samples.values[3] = std::numeric_limits<float>::quiet_NaN();
  absl::StatusOr<Figure> image = RenderReport(ThreeBlocks(2), &samples);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_GT(Count(*image, Body(ReportPanelRect(ReportPanel::kDensity)), true),
            0);
}

TEST(ReportTest, ChartsHaveTickLabelsLeftOfAndUnderTheirPlots) {
  absl::StatusOr<Figure> image = RenderReport(ThreeBlocks(2), nullptr);
  ASSERT_TRUE(image.ok()) << image.status();
  for (const ReportPanel panel :
       {ReportPanel::kLossTerms, ReportPanel::kKl, ReportPanel::kInversion}) {
    const Rect r = ReportPanelRect(panel);
    // The left margin and the bottom band hold tick labels and axis labels.
    EXPECT_GT(Count(*image, {r.x + 2, r.y + 40, 50, r.height - 90}, false), 80)
        << static_cast<int>(panel);
    EXPECT_GT(
        Count(*image, {r.x + 70, r.y + r.height - 40, r.width - 90, 36}, false),
        80)
        << static_cast<int>(panel);
  }
}

TEST(ReportTest, SeveralSeriesGetALegend) {
  // The loss-terms chart has four labelled series: their colours show in
  // the band between the title and the plot, above every data point.
  absl::StatusOr<Figure> image = RenderReport(ThreeBlocks(10), nullptr);
  ASSERT_TRUE(image.ok()) << image.status();
  const Rect r = ReportPanelRect(ReportPanel::kLossTerms);
  EXPECT_GT(Count(*image, {r.x, r.y + 30, r.width, 16}, true), 20);
  const Rect k = ReportPanelRect(ReportPanel::kKl);  // one series: none
  EXPECT_EQ(Count(*image, {k.x, k.y + 30, k.width, 8}, true), 0);
}

TEST(ReportTest, WritesAPng) {
  const PointMatrix samples = Gaussian(1000);
  absl::StatusOr<Figure> image = RenderReport(ThreeBlocks(2), &samples);
  ASSERT_TRUE(image.ok()) << image.status();
  const std::string path = TempPath("report.png");
  ASSERT_TRUE(image->WritePng(path).ok());
  const PngPixels png = ReadPng(path);
  EXPECT_EQ(png.width, kReportWidth);
  EXPECT_EQ(png.height, kReportHeight);
  EXPECT_FALSE(image->WritePng(TempPath("no/such/dir/report.png")).ok());
}

}  // namespace
}  // namespace jkoflow
