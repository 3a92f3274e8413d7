#include "client/cli/option_checks.h"

#include <string>

#include "gtest/gtest.h"

namespace jkoflow {
namespace {

// What `check` says of `text`: empty when it accepts it.
std::string Check(const CLI::Validator& check, std::string text) {
  return check(text);
}

TEST(OptionChecksTest, NumbersMustBeFiniteAndInRange) {
  EXPECT_EQ(Check(FiniteNumber(), "-2.5e3"), "");
  EXPECT_EQ(Check(FiniteNumber(), "nan"),
            "expected a finite number, got 'nan'");
  EXPECT_NE(Check(FiniteNumber(), "inf"), "");
  EXPECT_NE(Check(FiniteNumber(), "1e999"), "");
  EXPECT_NE(Check(FiniteNumber(), "x"), "");
  EXPECT_EQ(Check(AtLeast(0), "0"), "");
  EXPECT_EQ(Check(AtLeast(0), "-1"), "expected a number >= 0, got '-1'");
  EXPECT_EQ(Check(Positive(), "0.001"), "");
  EXPECT_EQ(Check(Positive(), "0"), "expected a number > 0, got '0'");
  EXPECT_NE(Check(Positive(), "ten"), "");
}

TEST(OptionChecksTest, AValueThatIsAFlagIsAMissingValue) {
  EXPECT_EQ(Check(NotAFlag(), "out.csv"), "");
  EXPECT_EQ(Check(NotAFlag(), "-"), "");  // e.g. stdin, or a negative number
  EXPECT_EQ(Check(NotAFlag(), "--plot=x.png"),
            "missing value (got the flag '--plot=x.png')");
}

TEST(OptionChecksTest, TextOptionsOfEveryCommandGetNotAFlag) {
  CLI::App app;
  std::string server, out;
  int n = 0;
  app.add_option("--server", server);
  CLI::App* sample = app.add_subcommand("sample");
  sample->add_option("--out", out);
  sample->add_option("--n", n);
  CheckTextValues(app);
  EXPECT_THROW(app.parse(std::vector<std::string>{"--plot", "--out", "sample"}),
               CLI::ValidationError);
  app.clear();
  EXPECT_NO_THROW(
      app.parse(std::vector<std::string>{"a.csv", "--out", "sample"}));
  EXPECT_EQ(out, "a.csv");
}

}  // namespace
}  // namespace jkoflow
