#ifndef JKOFLOW_TESTS_CLIENT_PLOT_READ_PNG_H_
#define JKOFLOW_TESTS_CLIENT_PLOT_READ_PNG_H_

#include <cairo.h>
#include <stdlib.h>

#include <cstdint>
#include <string>
#include <vector>

#include "client/plot/figure.h"
#include "gtest/gtest.h"

namespace jkoflow {

// PngPixels is a PNG file read back with cairo's decoder.
struct PngPixels {
  int width = 0;
  int height = 0;
  bool opaque_rgb = false;     // decoded as CAIRO_FORMAT_RGB24
  std::vector<uint32_t> xrgb;  // row-major, 0x00RRGGBB
  Rgb8 Pixel(int x, int y) const {
    const uint32_t p = xrgb[static_cast<size_t>(y) * width + x];
    return {static_cast<uint8_t>(p >> 16), static_cast<uint8_t>(p >> 8),
            static_cast<uint8_t>(p)};
  }
};

// ReadPng() decodes `path` with cairo_image_surface_create_from_png(); a
// file cairo cannot read gives width = height = 0 and a test failure.
inline PngPixels ReadPng(const std::string& path) {
  PngPixels png;
  cairo_surface_t* surface = cairo_image_surface_create_from_png(path.c_str());
  if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
    ADD_FAILURE() << "cairo cannot read " << path << ": "
                  << cairo_status_to_string(cairo_surface_status(surface));
    cairo_surface_destroy(surface);
    return png;
  }
  png.width = cairo_image_surface_get_width(surface);
  png.height = cairo_image_surface_get_height(surface);
  png.opaque_rgb =
      cairo_image_surface_get_format(surface) == CAIRO_FORMAT_RGB24;
  const unsigned char* data = cairo_image_surface_get_data(surface);
  const int stride = cairo_image_surface_get_stride(surface);
  for (int y = 0; y < png.height; ++y) {
    const auto* row = reinterpret_cast<const uint32_t*>(data + y * stride);
    for (int x = 0; x < png.width; ++x) png.xrgb.push_back(row[x] & 0xFFFFFF);
  }
  cairo_surface_destroy(surface);
  return png;
}

// TempPath() is `name` in a fresh directory under the test's temp dir.
inline std::string TempPath(const std::string& name) {
  std::string dir = testing::TempDir() + "/plot_test_XXXXXX";
  EXPECT_NE(mkdtemp(dir.data()), nullptr);
  return dir + "/" + name;
}

// CountPixels() is how many pixels of `area` of `figure` are not white
// (coloured = false), or neither white nor grey (coloured = true: data
// colours rather than text, axes and frames).
inline int CountPixels(const Figure& figure, const Rect& area, bool coloured) {
  int count = 0;
  for (int y = static_cast<int>(area.y); y < area.y + area.height; ++y) {
    for (int x = static_cast<int>(area.x); x < area.x + area.width; ++x) {
      const Rgb8 p = figure.Pixel(x, y);
      if (coloured ? !p.IsGrey() : !p.IsWhite()) ++count;
    }
  }
  return count;
}

}  // namespace jkoflow

#endif  // JKOFLOW_TESTS_CLIENT_PLOT_READ_PNG_H_
