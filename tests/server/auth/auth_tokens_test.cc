// TokenTable parsing and lookup, and the role table of auth_policy.h.

#include "server/auth/auth_tokens.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "server/auth/auth_policy.h"

namespace jkoflow {
namespace {

TEST(TokenTableTest, ParsesTokensCommentsAndBlankLines) {
  absl::StatusOr<TokenTable> table = TokenTable::Parse(
      "# comment\n\n  alpha read\nbeta\ttrain\r\ngamma   admin\n");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->size(), 3u);
  EXPECT_EQ(table->Find("alpha"), Role::kRead);
  EXPECT_EQ(table->Find("beta"), Role::kTrain);
  EXPECT_EQ(table->Find("gamma"), Role::kAdmin);
  EXPECT_FALSE(table->Find("alph").has_value());
  EXPECT_FALSE(table->Find("alphaa").has_value());
  EXPECT_FALSE(table->Find("").has_value());
}

TEST(TokenTableTest, NamesTheMalformedLineWithoutTheToken) {
  for (const char* text :
       {"ok read\n# c\nsecret-x\n", "ok read\n\nsecret-x root\n",
        "ok read\n\nsecret-x read extra\n", "ok read\n\nok admin\n"}) {
    absl::StatusOr<TokenTable> table = TokenTable::Parse(text);
    ASSERT_FALSE(table.ok()) << text;
    EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(table.status().message(), "line 3:"))
        << table.status();
    EXPECT_FALSE(absl::StrContains(table.status().message(), "secret-x"));
  }
}

TEST(TokenOwnerIdTest, StableShortAndNotTheToken) {
  const std::string id = TokenOwnerId("secret-token-x");
  EXPECT_EQ(id, TokenOwnerId("secret-token-x"));
  EXPECT_NE(id, TokenOwnerId("secret-token-y"));
  EXPECT_TRUE(absl::StartsWith(id, "sha256:")) << id;
  EXPECT_EQ(id.size(), 7u + 16u);
  EXPECT_FALSE(absl::StrContains(id, "secret")) << id;
  // SHA-256("abc") begins ba7816bf8f01cfea.
  EXPECT_EQ(TokenOwnerId("abc"), "sha256:ba7816bf8f01cfea");
}

TEST(RoleTableTest, ReadTrainAdmin) {
  EXPECT_EQ(RequiredRole("/jkoflow.v1.FlowService/Sample"), Role::kRead);
  EXPECT_EQ(RequiredRole("/jkoflow.v1.TrainingService/WatchJob"), Role::kRead);
  EXPECT_EQ(RequiredRole("/jkoflow.v1.TrainingService/TrainBlock"),
            Role::kTrain);
  EXPECT_EQ(RequiredRole("/jkoflow.v1.FlowService/LoadModel"), Role::kAdmin);
  EXPECT_EQ(RequiredRole("/jkoflow.v1.FlowService/NotYetInTheTable"),
            Role::kAdmin);
}

}  // namespace
}  // namespace jkoflow
