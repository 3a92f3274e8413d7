#include "client/bitmap_font.h"

#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace jkoflow {
namespace {

// The pixels `text` sets on a fresh white canvas, as the raw image.
std::vector<uint8_t> Draw(const std::string& text, int scale) {
  DensityImage image = BlankImage(80, 30);
  DrawText(image, 2, 3, text, kBlack, scale);
  return image.rgb;
}

int NonWhite(const DensityImage& image) {
  int count = 0;
  for (size_t i = 0; i < image.rgb.size(); i += 3) {
    if (image.rgb[i] != 255) ++count;
  }
  return count;
}

TEST(BitmapFontTest, HasTheCharactersPlotsNeed) {
  const std::string needed =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .-+()/=,:;^_|[]<>*%'?#&!";
  for (const char c : needed) EXPECT_TRUE(HasGlyph(c)) << c;
  EXPECT_TRUE(HasGlyph('e'));  // as 'E'
  EXPECT_FALSE(HasGlyph('~'));
  EXPECT_FALSE(HasGlyph('\n'));
}

TEST(BitmapFontTest, GlyphsAreDistinctAndOnlySpaceIsBlank) {
  const std::string chars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-+()/=,:;^_|[]<>*%'?#&!";
  std::set<std::vector<uint8_t>> seen;
  for (const char c : chars) {
    const std::vector<uint8_t> pixels = Draw(std::string(1, c), 1);
    EXPECT_NE(pixels, Draw(" ", 1)) << c;
    EXPECT_TRUE(seen.insert(pixels).second) << "duplicate glyph " << c;
  }
}

TEST(BitmapFontTest, LowerCaseIsUpperCaseAndUnknownIsAQuestionMark) {
  EXPECT_EQ(Draw("kl + h(p0)", 2), Draw("KL + H(P0)", 2));
  EXPECT_EQ(Draw("~", 1), Draw("?", 1));
}

TEST(BitmapFontTest, DrawsInsideItsBoxAtEachScale) {
  for (const int scale : {1, 2, 3}) {
    const std::string text = "8#";
    DensityImage image = BlankImage(100, 40);
    DrawText(image, 10, 5, text, kBlack, scale);
    const int width = TextWidth(text, scale);
    EXPECT_EQ(width, (2 * kGlyphAdvance - 1) * scale);
    int inside = 0;
    for (int y = 0; y < image.height; ++y) {
      for (int x = 0; x < image.width; ++x) {
        if (image.rgb[(y * image.width + x) * 3] == 255) continue;
        EXPECT_GE(x, 10);
        EXPECT_LT(x, 10 + width);
        EXPECT_GE(y, 5);
        EXPECT_LT(y, 5 + kGlyphHeight * scale);
        ++inside;
      }
    }
    EXPECT_EQ(inside, NonWhite(image));
    EXPECT_GT(inside, 0);
  }
  EXPECT_EQ(TextWidth("", 2), 0);
}

TEST(BitmapFontTest, TextOffTheImageIsClipped) {
  DensityImage image = BlankImage(10, 10);
  DrawText(image, -4, 6, "WIDE TEXT", kBlack, 2);  // must not crash
  EXPECT_EQ(image.rgb.size(), 10u * 10u * 3u);
  EXPECT_GT(NonWhite(image), 0);
}

}  // namespace
}  // namespace jkoflow
