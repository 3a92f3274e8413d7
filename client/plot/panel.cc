#include "client/plot/panel.h"

#include "client/plot/text.h"

namespace jkoflow {

Rect DrawPanel(cairo_t* cr, const Rect& area, const std::string& title) {
  cairo_save(cr);
  cairo_rectangle(cr, area.x, area.y, area.width, area.height);
  SetColour(cr, kWhite);
  cairo_fill(cr);
  cairo_rectangle(cr, area.x + 0.5, area.y + 0.5, area.width - 1,
                  area.height - 1);
  cairo_set_line_width(cr, 1);
  SetColour(cr, kPanelFrame);
  cairo_stroke(cr);
  cairo_restore(cr);
  DrawTitle(cr, {area.x, area.y + 2, area.width, kPanelTitleBand - 2}, title,
            /*size=*/14);
  return {area.x + 1, area.y + kPanelTitleBand, area.width - 2,
          area.height - kPanelTitleBand - 1};
}

void DrawNote(cairo_t* cr, const Rect& area, const std::string& note) {
  DrawText(cr, note, area.x + area.width / 2, area.y + area.height / 2,
           Align::kCentre, Align::kCentre, {14, false, kMuted});
}

void DrawTextLines(cairo_t* cr, const Rect& area,
                   const std::vector<std::string>& lines, double size) {
  double y = area.y;
  for (const std::string& line : lines) {
    DrawText(cr, line, area.x, y, Align::kStart, Align::kStart,
             {size, false, kInk});
    y += 1.5 * size;
  }
}

}  // namespace jkoflow
