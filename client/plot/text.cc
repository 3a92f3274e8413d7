#include "client/plot/text.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "client/plot/ticks.h"

namespace jkoflow {
namespace {

// Selects the font in `style` with grey-scale antialiasing: sub-pixel
// antialiasing would fringe black text with colour.
void SelectFont(cairo_t* cr, const TextStyle& style) {
  cairo_select_font_face(
      cr, kFontFamily, CAIRO_FONT_SLANT_NORMAL,
      style.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, style.size);
  cairo_font_options_t* options = cairo_font_options_create();
  cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY);
  cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
  cairo_set_font_options(cr, options);
  cairo_font_options_destroy(options);
}

double Offset(Align align, double extent) {
  switch (align) {
    case Align::kStart:
      return 0;
    case Align::kCentre:
      return -extent / 2;
    case Align::kEnd:
      return -extent;
  }
  return 0;
}

}  // namespace

double TextWidth(cairo_t* cr, const std::string& text, const TextStyle& style) {
  cairo_save(cr);
  SelectFont(cr, style);
  cairo_text_extents_t extents;
  cairo_text_extents(cr, text.c_str(), &extents);
  cairo_restore(cr);
  return extents.x_advance;
}

void DrawText(cairo_t* cr, const std::string& text, double x, double y,
              Align horizontal, Align vertical, const TextStyle& style,
              double angle) {
  cairo_save(cr);
  SelectFont(cr, style);
  cairo_text_extents_t text_extents;
  cairo_text_extents(cr, text.c_str(), &text_extents);
  cairo_font_extents_t font;
  cairo_font_extents(cr, &font);
  cairo_translate(cr, x, y);
  cairo_rotate(cr, -angle);
  const double height = font.ascent + font.descent;
  const double left = Offset(horizontal, text_extents.x_advance);
  const double baseline = Offset(vertical, height) + font.ascent;
  cairo_move_to(cr, left, baseline);
  SetColour(cr, style.colour);
  cairo_show_text(cr, text.c_str());
  cairo_restore(cr);
}

void DrawTitle(cairo_t* cr, const Rect& band, const std::string& text,
               double size) {
  TextStyle style{size, /*bold=*/true, kInk};
  const double room = band.width - 16;
  const double width = TextWidth(cr, text, style);
  if (width > room && width > 0) {
    style.size = std::max(7.0, size * room / width);
  }
  DrawText(cr, text, band.x + band.width / 2, band.y + band.height / 2,
           Align::kCentre, Align::kCentre, style);
}

std::string ModelLabel(const PlotTitle& title) {
  if (title.version == 0) return title.model;
  return absl::StrCat(title.model, " v", title.version);
}

std::string SamplesHeading(const PlotTitle& title, int64_t n) {
  return absl::StrCat(ModelLabel(title), " — ", WithThousands(n),
                      n == 1 ? " sample" : " samples");
}

}  // namespace jkoflow
