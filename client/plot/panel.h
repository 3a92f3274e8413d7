#ifndef JKOFLOW_CLIENT_PLOT_PANEL_H_
#define JKOFLOW_CLIENT_PLOT_PANEL_H_

#include <cairo.h>

#include <string>
#include <vector>

#include "client/plot/figure.h"

namespace jkoflow {

// kPanelTitleBand is the height of a panel's title band, in pixels.
inline constexpr double kPanelTitleBand = 30;

// DrawPanel() clears `area` to white, frames it in light grey and draws
// `title` centred in its top kPanelTitleBand pixels; it returns the rest
// of the area (the body), inset by the frame.
Rect DrawPanel(cairo_t* cr, const Rect& area, const std::string& title);

// DrawNote() draws `note` in grey, centred in `area`.
void DrawNote(cairo_t* cr, const Rect& area, const std::string& note);

// DrawTextLines() draws `lines` top to bottom from the top-left of `area`,
// one every 1.5 font sizes.
void DrawTextLines(cairo_t* cr, const Rect& area,
                   const std::vector<std::string>& lines, double size = 12);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_PLOT_PANEL_H_
