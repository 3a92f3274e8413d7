#ifndef JKOFLOW_CLIENT_BITMAP_FONT_H_
#define JKOFLOW_CLIENT_BITMAP_FONT_H_

#include <string_view>

#include "client/canvas.h"
#include "client/plot_png.h"

namespace jkoflow {

// A built-in 5 × 7 pixel font, so that plots can carry titles and axis
// labels without a font file or library. It has the upper-case letters,
// the digits, space and . , - + ( ) / = : ; ^ _ | [ ] < > * % ' ? # & !;
// lower-case letters are drawn upper-case and any other character as '?'.
// Each glyph advances kGlyphAdvance × scale pixels (one column of spacing).
inline constexpr int kGlyphWidth = 5;
inline constexpr int kGlyphHeight = 7;
inline constexpr int kGlyphAdvance = kGlyphWidth + 1;

// HasGlyph() is true when `c` (after upper-casing) has its own glyph.
bool HasGlyph(char c);

// TextWidth() is the width in pixels of `text` drawn at `scale` (≥ 1):
// kGlyphAdvance × scale per character, less the trailing spacing column.
int TextWidth(std::string_view text, int scale);

// DrawText() draws `text` with its top-left corner at (x, y), each font
// pixel a `scale` × `scale` square (scale < 1 counts as 1); pixels outside
// the image are left alone.
void DrawText(DensityImage& image, int x, int y, std::string_view text,
              Rgb colour, int scale);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_BITMAP_FONT_H_
