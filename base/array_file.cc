#include "base/array_file.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "base/atomic_file.h"
#include "base/idx_file.h"
#include "base/status_macros.h"

namespace jkoflow {
namespace {

constexpr absl::string_view kNpyMagic("\x93NUMPY", 6);
constexpr char kAcceptedExtensions[] =
    ".csv, .npy or IDX (*-ubyte, *.idx, optionally .gz)";

absl::Status InvalidFile(const std::string& path, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", message));
}

absl::Status NonFiniteError(const std::string& path, int64_t line,
                            int64_t column) {
  return InvalidFile(path, absl::StrCat("line ", line, ", column ", column,
                                        ": value is NaN or Inf"));
}

// Quotes `field` for an error message: control and non-ASCII bytes, '"' and
// '\\' are escaped, and long fields are shortened.
std::string QuoteField(absl::string_view field) {
  constexpr size_t kMaxShown = 40;
  const bool shorten = field.size() > kMaxShown;
  if (shorten) field = field.substr(0, kMaxShown);
  std::string out = "\"";
  for (const char c : field) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20 || byte >= 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", byte);
    } else {
      out.push_back(c);
    }
  }
  if (shorten) out.append("...");
  out.push_back('"');
  return out;
}

// Strips spaces and tabs from both ends of `s`.
absl::string_view TrimBlanks(absl::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// Parses the whole of `field` (already trimmed) as a number with strtod.
// Returns false if it is empty or has unconsumed characters.
bool ParseNumber(absl::string_view field, double* value) {
  if (field.empty()) return false;
  // strtod would skip leading whitespace; fields are trimmed, so any
  // remaining whitespace (e.g. "\v1") is an error.
  if (absl::ascii_isspace(static_cast<unsigned char>(field.front()))) {
    return false;
  }
  const std::string copy(field);
  char* end = nullptr;
  *value = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size();
}

// Returns the lowercase extension of `path` including the dot ("" if none).
std::string LowercaseExtension(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) {
    return "";
  }
  return absl::AsciiStrToLower(path.substr(dot));
}

// Checks that `a` is a non-empty, consistent, finite array before writing.
absl::Status ValidateForWrite(const std::string& path, const Array2D& a) {
  if (a.rows <= 0 || a.cols <= 0) {
    return InvalidFile(path, absl::StrCat("cannot write a ", a.rows, " x ",
                                          a.cols, " array: it has no data"));
  }
  if (a.rows > std::numeric_limits<int64_t>::max() / a.cols ||
      static_cast<uint64_t>(a.rows * a.cols) != a.values.size()) {
    return InvalidFile(
        path, absl::StrCat("array shape ", a.rows, " x ", a.cols,
                           " does not match its ", a.values.size(), " values"));
  }
  for (size_t i = 0; i < a.values.size(); ++i) {
    if (!std::isfinite(a.values[i])) {
      const int64_t row = static_cast<int64_t>(i) / a.cols;
      const int64_t col = static_cast<int64_t>(i) % a.cols;
      return NonFiniteError(path, row + 1, col + 1);
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// .npy header parsing: a tiny reader for the Python dict literal in the header.

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
};

class HeaderParser {
 public:
  explicit HeaderParser(absl::string_view text) : text_(text) {}

  absl::StatusOr<NpyHeader> Parse() {
    NpyHeader header;
    bool has_descr = false, has_order = false, has_shape = false;
    SkipSpace();
    if (!Consume('{')) return Error("expected '{'");
    while (true) {
      SkipSpace();
      if (Consume('}')) break;
      std::string key;
      if (!ParseString(&key)) return Error("expected a quoted key");
      SkipSpace();
      if (!Consume(':')) return Error("expected ':'");
      SkipSpace();
      if (key == "descr") {
        // A plain dtype is a string; anything else (e.g. a structured dtype
        // list) is kept as raw text so the error can name it.
        if (!ParseString(&header.descr)) {
          absl::string_view raw;
          if (!SkipValue(&raw)) return Error("malformed 'descr' value");
          header.descr = std::string(raw);
        }
        has_descr = true;
      } else if (key == "fortran_order") {
        if (ConsumeWord("True")) {
          header.fortran_order = true;
        } else if (ConsumeWord("False")) {
          header.fortran_order = false;
        } else {
          return Error("'fortran_order' is not True or False");
        }
        has_order = true;
      } else if (key == "shape") {
        if (!ParseShape(&header.shape)) return Error("malformed 'shape' value");
        has_shape = true;
      } else {
        absl::string_view ignored;
        if (!SkipValue(&ignored)) return Error("malformed value");
      }
      SkipSpace();
      if (Consume(',')) continue;
      SkipSpace();
      if (Consume('}')) break;
      return Error("expected ',' or '}'");
    }
    if (!has_descr) return Error("no 'descr' key");
    if (!has_order) return Error("no 'fortran_order' key");
    if (!has_shape) return Error("no 'shape' key");
    return header;
  }

 private:
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("malformed .npy header (",
                                                   what, " at offset ", pos_,
                                                   "): ", QuoteField(text_)));
  }

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }

  void SkipSpace() {
    while (!AtEnd() &&
           absl::ascii_isspace(static_cast<unsigned char>(Peek()))) {
      ++pos_;
    }
  }

  bool Consume(char c) {
    if (Peek() != c || AtEnd()) return false;
    ++pos_;
    return true;
  }

  bool ConsumeWord(absl::string_view word) {
    if (!absl::StartsWith(text_.substr(pos_), word)) return false;
    pos_ += word.size();
    return true;
  }

  // Parses a single- or double-quoted string without escapes.
  bool ParseString(std::string* out) {
    const char quote = Peek();
    if (quote != '\'' && quote != '"') return false;
    const size_t close = text_.find(quote, pos_ + 1);
    if (close == absl::string_view::npos) return false;
    *out = std::string(text_.substr(pos_ + 1, close - pos_ - 1));
    pos_ = close + 1;
    return true;
  }

  // Parses "(a, b, ...)" of non-negative integers (a trailing comma and a
  // Python 2 'L' suffix are allowed).
  bool ParseShape(std::vector<int64_t>* shape) {
    shape->clear();
    if (!Consume('(')) return false;
    while (true) {
      SkipSpace();
      if (Consume(')')) return true;
      if (!absl::ascii_isdigit(static_cast<unsigned char>(Peek()))) {
        return false;
      }
      int64_t value = 0;
      while (absl::ascii_isdigit(static_cast<unsigned char>(Peek()))) {
        const int digit = Peek() - '0';
        if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) {
          return false;
        }
        value = value * 10 + digit;
        ++pos_;
      }
      Consume('L');
      shape->push_back(value);
      SkipSpace();
      if (Consume(',')) continue;
      SkipSpace();
      if (Consume(')')) return true;
      return false;
    }
  }

  // Skips one value (string, bracketed group or bare word) and returns its
  // raw text.
  bool SkipValue(absl::string_view* raw) {
    const size_t start = pos_;
    int depth = 0;
    while (!AtEnd()) {
      const char c = Peek();
      if (c == '\'' || c == '"') {
        std::string ignored;
        if (!ParseString(&ignored)) return false;
        continue;
      }
      if (c == '(' || c == '[' || c == '{') {
        ++depth;
      } else if (c == ')' || c == ']' || c == '}') {
        if (depth == 0) break;
        --depth;
      } else if (c == ',' && depth == 0) {
        break;
      }
      ++pos_;
    }
    if (depth != 0) return false;
    *raw = TrimBlanks(text_.substr(start, pos_ - start));
    return !raw->empty();
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

uint64_t LoadLittleEndian(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void AppendLittleEndian(uint64_t v, int bytes, std::string* out) {
  for (int i = 0; i < bytes; ++i) {
    out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
}

}  // namespace

absl::StatusOr<Array2D> ReadCsv(const std::string& path) {
  ASSIGN_OR_RETURN(std::string contents, ReadFileToString(path));
  absl::string_view text(contents);
  if (absl::StartsWith(text, "\xEF\xBB\xBF")) text.remove_prefix(3);  // BOM

  Array2D result;
  bool seen_content = false;  // A header or data line has been seen.
  int64_t line_number = 0;
  std::vector<absl::string_view> fields;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const absl::string_view trimmed = TrimBlanks(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;

    fields.clear();
    for (absl::string_view field : absl::StrSplit(line, ',')) {
      fields.push_back(TrimBlanks(field));
    }

    if (!seen_content) {
      seen_content = true;
      bool is_header = true;
      for (absl::string_view field : fields) {
        double ignored;
        if (ParseNumber(field, &ignored)) {
          is_header = false;
          break;
        }
      }
      if (is_header) continue;
    }

    const int64_t field_count = static_cast<int64_t>(fields.size());
    if (result.rows == 0) {
      result.cols = field_count;
    } else if (field_count != result.cols) {
      return InvalidFile(
          path, absl::StrCat("line ", line_number, ": expected ", result.cols,
                             " columns, got ", field_count));
    }
    for (int64_t c = 0; c < field_count; ++c) {
      double value;
      if (!ParseNumber(fields[c], &value)) {
        return InvalidFile(
            path, absl::StrCat("line ", line_number, ", column ", c + 1, ": ",
                               QuoteField(fields[c]), " is not a number"));
      }
      if (!std::isfinite(value)) {
        return NonFiniteError(path, line_number, c + 1);
      }
      result.values.push_back(value);
    }
    ++result.rows;
  }
  if (result.rows == 0) return InvalidFile(path, "contains no data rows");
  return result;
}

namespace {

// NpyLayout is where a .npy file's parts lie, once its preamble and header
// are read.
struct NpyLayout {
  NpyHeader header;
  size_t data_offset = 0;  // first byte of the values
  size_t item_size = 0;    // 4 or 8
};

// ReadNpyLayout() checks the magic and version, and parses the header and
// the dtype of a .npy file's `contents`.
absl::StatusOr<NpyLayout> ReadNpyLayout(const std::string& path,
                                        const std::string& contents) {
  if (contents.empty()) return InvalidFile(path, "file is empty");
  if (contents.size() < kNpyMagic.size() ||
      absl::string_view(contents).substr(0, kNpyMagic.size()) != kNpyMagic) {
    return InvalidFile(path, "not a .npy file (bad magic)");
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(contents.data());
  if (contents.size() < 8) return InvalidFile(path, "truncated .npy preamble");
  const int major = bytes[6];
  const int minor = bytes[7];
  if (minor != 0 || major < 1 || major > 3) {
    return InvalidFile(
        path, absl::StrCat("unsupported .npy version ", major, ".", minor,
                           " (expected 1.0, 2.0 or 3.0)"));
  }
  const size_t length_bytes = major == 1 ? 2 : 4;
  const size_t header_start = 8 + length_bytes;
  if (contents.size() < header_start) {
    return InvalidFile(path, "truncated .npy preamble");
  }
  const uint64_t header_length =
      LoadLittleEndian(bytes + 8, static_cast<int>(length_bytes));
  if (header_length > contents.size() - header_start) {
    return InvalidFile(
        path, absl::StrCat("truncated .npy header: expected ", header_length,
                           " bytes, found ", contents.size() - header_start));
  }
  absl::StatusOr<NpyHeader> parsed =
      HeaderParser(
          absl::string_view(contents).substr(header_start, header_length))
          .Parse();
  if (!parsed.ok()) return InvalidFile(path, parsed.status().message());
  NpyLayout layout;
  layout.header = *std::move(parsed);
  layout.data_offset = header_start + header_length;
  if (layout.header.descr == "<f4") {
    layout.item_size = 4;
  } else if (layout.header.descr == "<f8") {
    layout.item_size = 8;
  } else {
    return InvalidFile(path, absl::StrCat("unsupported dtype ",
                                          QuoteField(layout.header.descr),
                                          " (expected \"<f4\" or \"<f8\")"));
  }
  return layout;
}

// NpyShape() is the rows and columns of a 1-D or 2-D header, checked
// against the bytes of data the file has (`data_available`).
absl::StatusOr<Array2D> NpyShape(const std::string& path,
                                 const NpyLayout& layout,
                                 uint64_t data_available) {
  const std::vector<int64_t>& shape = layout.header.shape;
  Array2D result;
  if (shape.size() == 1) {
    result.rows = shape[0];
    result.cols = 1;
  } else if (shape.size() == 2) {
    result.rows = shape[0];
    result.cols = shape[1];
  } else {
    return InvalidFile(
        path, absl::StrCat("unsupported shape (", absl::StrJoin(shape, ", "),
                           "): expected 1-D or 2-D"));
  }
  if (result.rows == 0) return InvalidFile(path, "contains no data rows");
  if (result.cols == 0) return InvalidFile(path, "contains no data columns");
  const uint64_t max_elements = std::numeric_limits<uint64_t>::max() / 8;
  const uint64_t rows = static_cast<uint64_t>(result.rows);
  const uint64_t cols = static_cast<uint64_t>(result.cols);
  if (rows > max_elements / cols) {
    return InvalidFile(path, absl::StrCat("shape (", result.rows, ", ",
                                          result.cols, ") is too large"));
  }
  const uint64_t data_expected = rows * cols * layout.item_size;
  if (data_available < data_expected) {
    return InvalidFile(path,
                       absl::StrCat("truncated: expected ", data_expected,
                                    " bytes of data, found ", data_available));
  }
  if (data_available > data_expected) {
    return InvalidFile(path,
                       absl::StrCat("trailing data: expected ", data_expected,
                                    " bytes of data, found ", data_available));
  }
  return result;
}

// NpyValue() is the little-endian float32 or float64 at `p`.
double NpyValue(const unsigned char* p, size_t item_size) {
  if (item_size == 4) {
    const uint32_t word = static_cast<uint32_t>(LoadLittleEndian(p, 4));
    float f;
    std::memcpy(&f, &word, sizeof(f));
    return f;
  }
  const uint64_t word = LoadLittleEndian(p, 8);
  double value;
  std::memcpy(&value, &word, sizeof(value));
  return value;
}

}  // namespace

absl::StatusOr<Array2D> ReadNpy(const std::string& path) {
  ASSIGN_OR_RETURN(std::string contents, ReadFileToString(path));
  ASSIGN_OR_RETURN(const NpyLayout layout, ReadNpyLayout(path, contents));
  ASSIGN_OR_RETURN(
      Array2D result,
      NpyShape(path, layout, contents.size() - layout.data_offset));
  const auto* data = reinterpret_cast<const unsigned char*>(contents.data()) +
                     layout.data_offset;
  const uint64_t rows = static_cast<uint64_t>(result.rows);
  const uint64_t cols = static_cast<uint64_t>(result.cols);
  result.values.resize(rows * cols);
  for (uint64_t r = 0; r < rows; ++r) {
    for (uint64_t c = 0; c < cols; ++c) {
      const uint64_t source =
          layout.header.fortran_order ? c * rows + r : r * cols + c;
      const double value =
          NpyValue(data + source * layout.item_size, layout.item_size);
      if (!std::isfinite(value)) {
        return NonFiniteError(path, static_cast<int64_t>(r) + 1,
                              static_cast<int64_t>(c) + 1);
      }
      result.values[r * cols + c] = value;
    }
  }
  return result;
}

absl::StatusOr<Array2D> ReadArrayFile(const std::string& path) {
  const std::string extension = LowercaseExtension(path);
  if (extension == ".csv") return ReadCsv(path);
  if (extension == ".npy") return ReadNpy(path);
  if (IsIdxPath(path)) return ReadIdx(path);
  return InvalidFile(path, absl::StrCat("unsupported file extension; expected ",
                                        kAcceptedExtensions));
}

absl::Status WriteCsv(const std::string& path, const Array2D& a) {
  RETURN_IF_ERROR(ValidateForWrite(path, a));
  std::string out;
  for (int64_t r = 0; r < a.rows; ++r) {
    for (int64_t c = 0; c < a.cols; ++c) {
      if (c > 0) out.push_back(',');
      absl::StrAppendFormat(&out, "%.9g", a.values[r * a.cols + c]);
    }
    out.push_back('\n');
  }
  return WriteFileAtomically(path, out);
}

absl::Status WriteNpy(const std::string& path, const Array2D& a, bool float64) {
  RETURN_IF_ERROR(ValidateForWrite(path, a));
  std::string header = absl::StrCat("{'descr': '", float64 ? "<f8" : "<f4",
                                    "', 'fortran_order': False, 'shape': (",
                                    a.rows, ", ", a.cols, "), }");
  // Pad with spaces and a final newline so the data starts on a 64-byte
  // boundary, as NumPy does.
  constexpr size_t kPreamble = 10;  // magic, version, uint16 header length
  const size_t unpadded = kPreamble + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  if (header.size() > 0xffff) {
    return InvalidFile(path, ".npy header too long for format version 1.0");
  }

  const size_t item_size = float64 ? 8 : 4;
  std::string out;
  out.reserve(kPreamble + header.size() + a.values.size() * item_size);
  out.append(kNpyMagic.data(), kNpyMagic.size());
  out.push_back('\x01');
  out.push_back('\x00');
  AppendLittleEndian(header.size(), 2, &out);
  out.append(header);
  for (size_t i = 0; i < a.values.size(); ++i) {
    const double value = a.values[i];
    if (float64) {
      uint64_t word;
      std::memcpy(&word, &value, sizeof(word));
      AppendLittleEndian(word, 8, &out);
    } else {
      const float f = static_cast<float>(value);
      if (!std::isfinite(f)) {
        return InvalidFile(
            path,
            absl::StrCat("line ", static_cast<int64_t>(i) / a.cols + 1,
                         ", column ", static_cast<int64_t>(i) % a.cols + 1,
                         ": value ", absl::StrFormat("%.17g", value),
                         " is out of float32 range"));
      }
      uint32_t word;
      std::memcpy(&word, &f, sizeof(word));
      AppendLittleEndian(word, 4, &out);
    }
  }
  return WriteFileAtomically(path, out);
}

absl::Status WriteArrayFile(const std::string& path, const Array2D& a) {
  const std::string extension = LowercaseExtension(path);
  if (extension == ".csv") return WriteCsv(path, a);
  if (extension == ".npy") return WriteNpy(path, a);
  return InvalidFile(path, absl::StrCat("unsupported file extension; expected ",
                                        kAcceptedExtensions));
}

}  // namespace jkoflow
