#ifndef JKOFLOW_CLIENT_PLOT_FIGURE_H_
#define JKOFLOW_CLIENT_PLOT_FIGURE_H_

#include <cairo.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jkoflow {

// Rect is an area of a figure in pixels, y pointing down: columns
// [x, x + width), rows [y, y + height).
struct Rect {
  double x = 0;
  double y = 0;
  double width = 0;
  double height = 0;
};

// Colour is an opaque colour, each channel in [0, 1].
struct Colour {
  double r = 0;
  double g = 0;
  double b = 0;
};

// Greys (r = g = b, so that tests can tell them from data colours).
inline constexpr Colour kWhite = {1, 1, 1};
inline constexpr Colour kInk = {0.13, 0.13, 0.13};    // text, axes
inline constexpr Colour kMuted = {0.45, 0.45, 0.45};  // secondary text
inline constexpr Colour kGridLine = {0.9, 0.9, 0.9};  // grid, frames
inline constexpr Colour kPanelFrame = {0.78, 0.78, 0.78};

// Rgb8 is one pixel read back from a figure.
struct Rgb8 {
  uint8_t r = 0;
  uint8_t g = 0;
  uint8_t b = 0;
  bool IsWhite() const { return r == 255 && g == 255 && b == 255; }
  bool IsGrey() const { return r == g && g == b; }
};

// Pixmap is a small picture of width × height pixels, row-major from the
// top-left, each 0x00RRGGBB; DrawPixmap() scales it onto a figure.
struct Pixmap {
  int width = 0;
  int height = 0;
  std::vector<uint32_t> xrgb;
};

// SetColour() makes `colour` cairo's source.
void SetColour(cairo_t* cr, const Colour& colour);

// DrawPixmap() paints `pixmap` scaled to fill `target`, each pixel a sharp
// block (nearest neighbour, no smoothing). Draws nothing for an empty
// pixmap or one whose xrgb does not hold width × height values.
void DrawPixmap(cairo_t* cr, const Rect& target, const Pixmap& pixmap);

// Figure is a white RGB image of width × height pixels and a cairo context
// drawing on it (the plots draw with cairo directly through cr()). It owns
// both; movable, not copyable, not thread-safe.
class Figure {
 public:
  // Create() returns a white figure; InvalidArgument unless both sides lie
  // in [1, 8192], Internal when cairo cannot allocate it.
  static absl::StatusOr<Figure> Create(int width, int height);

  // cr() is the drawing context; it stays valid for the figure's lifetime.
  cairo_t* cr() const { return cr_.get(); }
  int width() const { return width_; }
  int height() const { return height_; }

  // Pixel() reads back pixel (x, y), which must lie inside the figure.
  Rgb8 Pixel(int x, int y) const;

  // WritePng() writes the figure as an 8-bit RGB PNG (cairo's encoder) to
  // `path` atomically: a temporary file in the same directory, renamed
  // over `path` (base/atomic_file.h). Returns Internal if cairo fails, or
  // the file error naming the path.
  absl::Status WritePng(const std::string& path) const;

 private:
  struct SurfaceDeleter {
    void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
  };
  struct ContextDeleter {
    void operator()(cairo_t* cr) const { cairo_destroy(cr); }
  };

  Figure() = default;

  int width_ = 0;
  int height_ = 0;
  std::unique_ptr<cairo_surface_t, SurfaceDeleter> surface_;
  std::unique_ptr<cairo_t, ContextDeleter> cr_;
};

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_PLOT_FIGURE_H_
