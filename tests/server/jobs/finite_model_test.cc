#include "server/jobs/finite_model.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "absl/strings/match.h"
#include "tests/server/test_util.h"

namespace jkoflow {
namespace {

using testing_util::TinyModel;

TEST(FiniteModelTest, AcceptsAFiniteModel) {
  EXPECT_TRUE(CheckFiniteModel(TinyModel(2, 2, 1)).ok());
}

TEST(FiniteModelTest, RefusesANonFiniteStatisticNamingTheBlock) {
  FlowModel model = TinyModel(2, 2, 1);
  model.mutable_stats(1).movement = std::nan("");
  const absl::Status s = CheckFiniteModel(model);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(s.message(), "block 2")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "movement")) << s;
}

TEST(FiniteModelTest, RefusesANonFiniteWeight) {
  FlowModel model = TinyModel(2, 1, 1);
  {
    torch::NoGradGuard no_grad;
    model.block(0).field()->parameters()[0].view(-1)[0] =
        std::numeric_limits<float>::infinity();
  }
  const absl::Status s = CheckFiniteModel(model);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(s.message(), "block 1")) << s;
}

}  // namespace
}  // namespace jkoflow
