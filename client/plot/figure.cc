#include "client/plot/figure.h"

#include "absl/strings/str_cat.h"
#include "base/atomic_file.h"

namespace jkoflow {
namespace {

constexpr int kMaxSide = 8192;

// Appends cairo's PNG bytes to the std::string behind `closure`.
cairo_status_t AppendBytes(void* closure, const unsigned char* data,
                           unsigned int length) {
  static_cast<std::string*>(closure)->append(
      reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

void SetColour(cairo_t* cr, const Colour& colour) {
  cairo_set_source_rgb(cr, colour.r, colour.g, colour.b);
}

void DrawPixmap(cairo_t* cr, const Rect& target, const Pixmap& pixmap) {
  if (pixmap.width <= 0 || pixmap.height <= 0 ||
      pixmap.xrgb.size() != static_cast<size_t>(pixmap.width) * pixmap.height) {
    return;
  }
  cairo_surface_t* source = cairo_image_surface_create(
      CAIRO_FORMAT_RGB24, pixmap.width, pixmap.height);
  if (cairo_surface_status(source) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(source);
    return;
  }
  cairo_surface_flush(source);
  unsigned char* data = cairo_image_surface_get_data(source);
  const int stride = cairo_image_surface_get_stride(source);
  for (int y = 0; y < pixmap.height; ++y) {
    auto* row = reinterpret_cast<uint32_t*>(data + y * stride);
    for (int x = 0; x < pixmap.width; ++x) {
      row[x] = pixmap.xrgb[static_cast<size_t>(y) * pixmap.width + x];
    }
  }
  cairo_surface_mark_dirty(source);
  cairo_save(cr);
  cairo_rectangle(cr, target.x, target.y, target.width, target.height);
  cairo_clip(cr);
  cairo_translate(cr, target.x, target.y);
  cairo_scale(cr, target.width / pixmap.width, target.height / pixmap.height);
  cairo_set_source_surface(cr, source, 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
  cairo_paint(cr);
  cairo_restore(cr);
  cairo_surface_destroy(source);
}

absl::StatusOr<Figure> Figure::Create(int width, int height) {
  if (width < 1 || height < 1 || width > kMaxSide || height > kMaxSide) {
    return absl::InvalidArgumentError(
        absl::StrCat("figure: sides must lie in [1, ", kMaxSide, "], got ",
                     width, " x ", height));
  }
  Figure figure;
  figure.width_ = width;
  figure.height_ = height;
  figure.surface_.reset(
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height));
  figure.cr_.reset(cairo_create(figure.surface_.get()));
  if (cairo_status(figure.cr_.get()) != CAIRO_STATUS_SUCCESS) {
    return absl::InternalError(
        absl::StrCat("figure: cairo: ",
                     cairo_status_to_string(cairo_status(figure.cr_.get()))));
  }
  SetColour(figure.cr(), kWhite);
  cairo_paint(figure.cr());
  return figure;
}

Rgb8 Figure::Pixel(int x, int y) const {
  cairo_surface_flush(surface_.get());
  const unsigned char* data = cairo_image_surface_get_data(surface_.get());
  const int stride = cairo_image_surface_get_stride(surface_.get());
  const uint32_t p = reinterpret_cast<const uint32_t*>(data + y * stride)[x];
  return {static_cast<uint8_t>(p >> 16), static_cast<uint8_t>(p >> 8),
          static_cast<uint8_t>(p)};
}

absl::Status Figure::WritePng(const std::string& path) const {
  cairo_surface_flush(surface_.get());
  std::string bytes;
  const cairo_status_t status =
      cairo_surface_write_to_png_stream(surface_.get(), AppendBytes, &bytes);
  if (status != CAIRO_STATUS_SUCCESS) {
    return absl::InternalError(
        absl::StrCat("png: cairo: ", cairo_status_to_string(status)));
  }
  return WriteFileAtomically(path, bytes);
}

}  // namespace jkoflow
