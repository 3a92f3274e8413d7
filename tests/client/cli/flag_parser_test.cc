#include "client/cli/flag_parser.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace jkoflow {
namespace {

std::vector<FlagSpec> Specs() {
  return {
      {"model", FlagType::kString, "model name", true, ""},
      {"n", FlagType::kInt, "points", false, "100"},
      {"seed", FlagType::kUint, "seed", false, ""},
      {"lr", FlagType::kDouble, "learning rate", false, "0.001"},
      {"wait", FlagType::kBool, "wait", false, ""},
  };
}

absl::StatusOr<ParsedFlags> Parse(std::vector<std::string> args) {
  return ParseFlags(args, Specs());
}

TEST(FlagParserTest, ParsesBothFormsAndTypes) {
  absl::StatusOr<ParsedFlags> flags =
      Parse({"--model=gauss", "--n", "-5", "--seed=7", "--lr=0.5", "--wait"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_FALSE(flags->help());
  EXPECT_EQ(flags->String("model"), "gauss");
  EXPECT_EQ(flags->Int("n"), -5);
  EXPECT_EQ(flags->Uint("seed"), 7u);
  EXPECT_DOUBLE_EQ(flags->Double("lr"), 0.5);
  EXPECT_TRUE(flags->Bool("wait"));
  EXPECT_TRUE(flags->Has("seed"));
}

TEST(FlagParserTest, DefaultsApplyAndAreNotGiven) {
  absl::StatusOr<ParsedFlags> flags = Parse({"--model=m"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->Int("n"), 100);
  EXPECT_FALSE(flags->Has("n"));
  EXPECT_DOUBLE_EQ(flags->Double("lr"), 0.001);
  EXPECT_EQ(flags->Uint("seed"), 0u);
  EXPECT_FALSE(flags->Bool("wait"));
}

TEST(FlagParserTest, BoolAcceptsExplicitValues) {
  absl::StatusOr<ParsedFlags> flags = Parse({"--model=m", "--wait=false"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_TRUE(flags->Has("wait"));
  EXPECT_FALSE(flags->Bool("wait"));
  EXPECT_EQ(Parse({"--model=m", "--wait=maybe"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FlagParserTest, HelpSkipsRequiredFlags) {
  for (const char* help : {"--help", "-h"}) {
    absl::StatusOr<ParsedFlags> flags = Parse({help});
    ASSERT_TRUE(flags.ok()) << flags.status();
    EXPECT_TRUE(flags->help());
  }
}

TEST(FlagParserTest, UnknownFlagIsNamed) {
  const absl::Status status = Parse({"--model=m", "--modle=x"}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "unknown flag --modle");
}

TEST(FlagParserTest, MissingRequiredFlagIsNamed) {
  const absl::Status status = Parse({"--n=3"}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "missing required flag --model");
}

TEST(FlagParserTest, BadValuesNameTheFlagAndTheValue) {
  const absl::Status status = Parse({"--model=m", "--n=ten"}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "--n: expected an integer, got 'ten'");
  EXPECT_FALSE(Parse({"--model=m", "--seed=-1"}).ok());
  EXPECT_FALSE(Parse({"--model=m", "--lr=nan"}).ok());
  EXPECT_FALSE(Parse({"--model=m", "--lr=1e999"}).ok());
}

TEST(FlagParserTest, MissingValueRepeatedFlagAndPositionalAreErrors) {
  EXPECT_EQ(Parse({"--model"}).status().message(), "--model: missing value");
  EXPECT_EQ(Parse({"--model", "--n=1"}).status().message(),
            "--model: missing value");
  EXPECT_EQ(Parse({"--model=a", "--model=b"}).status().message(),
            "--model: given more than once");
  EXPECT_EQ(Parse({"--model=a", "extra"}).status().message(),
            "unexpected argument 'extra'");
}

// `jkoflow sample m 1000` is `jkoflow sample --model=m --n=1000`.
TEST(FlagParserTest, PositionalSpecsTakeBareArgumentsInOrder) {
  const std::vector<FlagSpec> specs = {
      {"model", FlagType::kString, "model name", true, "", true},
      {"seed", FlagType::kUint, "seed", false, "0"},
      {"n", FlagType::kInt, "points", true, "", true},
  };
  absl::StatusOr<ParsedFlags> flags =
      ParseFlags({"m", "--seed=3", "1000"}, specs);
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->String("model"), "m");
  EXPECT_EQ(flags->Int("n"), 1000);
  EXPECT_EQ(flags->Uint("seed"), 3u);
  flags = ParseFlags({"--n=5", "m"}, specs);  // names and positions mix
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->String("model"), "m");
  EXPECT_EQ(flags->Int("n"), 5);
  EXPECT_EQ(ParseFlags({"m", "x"}, specs).status().message(),
            "--n: expected an integer, got 'x'");
  EXPECT_EQ(ParseFlags({"m", "1", "extra"}, specs).status().message(),
            "unexpected argument 'extra'");
  EXPECT_EQ(ParseFlags({"m"}, specs).status().message(),
            "missing required flag --n");
  EXPECT_NE(FormatFlagHelp(specs).find("(or positional)"), std::string::npos);
}

TEST(FlagParserTest, HelpTextListsEveryFlag) {
  const std::string help = FormatFlagHelp(Specs());
  EXPECT_NE(help.find("--model=STRING"), std::string::npos) << help;
  EXPECT_NE(help.find("(required)"), std::string::npos) << help;
  EXPECT_NE(help.find("--n=INT"), std::string::npos) << help;
  EXPECT_NE(help.find("(default 100)"), std::string::npos) << help;
  EXPECT_NE(help.find("--wait "), std::string::npos) << help;
}

}  // namespace
}  // namespace jkoflow
