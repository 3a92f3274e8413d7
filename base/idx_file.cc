#include "base/idx_file.h"

#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/atomic_file.h"
#include "base/status_macros.h"

namespace jkoflow {
namespace {

absl::Status Invalid(const std::string& path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

// Gunzip() inflates a gzip stream (several members are concatenated).
absl::StatusOr<std::string> Gunzip(const std::string& path,
                                   const std::string& compressed) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 32) != Z_OK) {
    return absl::InternalError(absl::StrCat(path, ": zlib init failed"));
  }
  std::string out;
  stream.next_in =
      reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  char buffer[1 << 16];
  int code = Z_OK;
  while (true) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof(buffer);
    code = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - stream.avail_out);
    if (code == Z_STREAM_END && stream.avail_in > 0) {
      inflateReset(&stream);
      continue;
    }
    if (code != Z_OK) break;
  }
  inflateEnd(&stream);
  if (code != Z_STREAM_END) {
    return Invalid(path, "not a complete gzip stream (truncated?)");
  }
  return out;
}

uint32_t BigEndian32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// ValueAt() decodes value i of a big-endian array of `type`.
double ValueAt(const unsigned char* data, int type, int64_t i) {
  switch (type) {
    case 0x08:
      return data[i];
    case 0x09:
      return static_cast<int8_t>(data[i]);
    case 0x0B: {
      const unsigned char* p = data + 2 * i;
      return static_cast<int16_t>((p[0] << 8) | p[1]);
    }
    case 0x0C:
      return static_cast<int32_t>(BigEndian32(data + 4 * i));
    case 0x0D: {
      const uint32_t bits = BigEndian32(data + 4 * i);
      float f;
      std::memcpy(&f, &bits, sizeof(f));
      return f;
    }
    case 0x0E: {
      const uint64_t bits = (uint64_t{BigEndian32(data + 8 * i)} << 32) |
                            BigEndian32(data + 8 * i + 4);
      double d;
      std::memcpy(&d, &bits, sizeof(d));
      return d;
    }
  }
  return std::numeric_limits<double>::quiet_NaN();
}

int TypeSize(int type) {
  switch (type) {
    case 0x08:
    case 0x09:
      return 1;
    case 0x0B:
      return 2;
    case 0x0C:
    case 0x0D:
      return 4;
    case 0x0E:
      return 8;
  }
  return 0;
}

}  // namespace

bool IsIdxPath(const std::string& path) {
  std::string name = path;
  for (char& c : name) c = static_cast<char>(std::tolower(c));
  if (absl::EndsWith(name, ".gz")) name.resize(name.size() - 3);
  return absl::EndsWith(name, "-ubyte") || absl::EndsWith(name, ".idx");
}

absl::StatusOr<Array2D> ReadIdx(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
      static_cast<unsigned char>(bytes[1]) == 0x8b) {
    ASSIGN_OR_RETURN(bytes, Gunzip(path, bytes));
  }
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < 4 || data[0] != 0 || data[1] != 0) {
    return Invalid(path, "not an IDX file (bad magic)");
  }
  const int type = data[2];
  const int dims = data[3];
  const int size = TypeSize(type);
  if (size == 0) {
    return Invalid(path, absl::StrCat("unsupported IDX type 0x", type));
  }
  if (dims < 1 || bytes.size() < 4 + 4 * static_cast<size_t>(dims)) {
    return Invalid(path, "malformed IDX header");
  }
  Array2D array;
  int64_t count = 1;
  for (int i = 0; i < dims; ++i) {
    const int64_t extent = BigEndian32(data + 4 + 4 * i);
    if (extent < 1 || extent > (int64_t{1} << 31)) {
      return Invalid(path, absl::StrCat("IDX extent ", i + 1, " is ", extent));
    }
    if (count > std::numeric_limits<int64_t>::max() / extent) {
      return Invalid(path, "IDX extents overflow");
    }
    count *= extent;
    if (i == 0) {
      array.rows = extent;
    } else {
      array.item_shape.push_back(extent);
    }
  }
  array.cols = array.rows > 0 ? count / array.rows : 0;
  const size_t header = 4 + 4 * static_cast<size_t>(dims);
  const size_t expected = header + static_cast<size_t>(count) * size;
  if (bytes.size() < expected) return Invalid(path, "truncated IDX data");
  if (bytes.size() > expected) {
    return Invalid(path, "more IDX data than the header says");
  }
  array.values.resize(count);
  for (int64_t i = 0; i < count; ++i) {
    const double v = ValueAt(data + header, type, i);
    if (!std::isfinite(v)) {
      return Invalid(path, absl::StrCat("value ", i + 1, " is not finite"));
    }
    array.values[i] = v;
  }
  return array;
}

}  // namespace jkoflow
