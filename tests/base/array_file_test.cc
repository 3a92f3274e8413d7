#include "base/array_file.h"

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/atomic_file.h"
#include "gtest/gtest.h"

namespace jkoflow {
namespace {

// Builds the bytes of a .npy file with the given version, header dict text
// and raw data, padding the header like NumPy does.
std::string MakeNpy(int major, const std::string& dict,
                    const std::string& data) {
  const size_t length_bytes = major == 1 ? 2 : 4;
  const size_t preamble = 8 + length_bytes;
  std::string header = dict;
  const size_t unpadded = preamble + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  std::string out("\x93NUMPY", 6);
  out.push_back(static_cast<char>(major));
  out.push_back('\0');
  for (size_t i = 0; i < length_bytes; ++i) {
    out.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  }
  return out + header + data;
}

// Little-endian bytes of doubles.
std::string F8Bytes(std::initializer_list<double> values) {
  std::string out;
  for (double v : values) {
    uint64_t word;
    std::memcpy(&word, &v, sizeof(word));
    for (int i = 0; i < 8; ++i)
      out.push_back(static_cast<char>(word >> (8 * i)));
  }
  return out;
}

// Little-endian bytes of floats.
std::string F4Bytes(std::initializer_list<float> values) {
  std::string out;
  for (float v : values) {
    uint32_t word;
    std::memcpy(&word, &v, sizeof(word));
    for (int i = 0; i < 4; ++i)
      out.push_back(static_cast<char>(word >> (8 * i)));
  }
  return out;
}

class ArrayFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string base = ::testing::TempDir();
    if (base.empty() || base.back() != '/') base.push_back('/');
    std::string pattern = base + "array_file_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }

  void TearDown() override {
    if (DIR* d = ::opendir(dir_.c_str())) {
      while (const dirent* entry = ::readdir(d)) {
        const std::string name = entry->d_name;
        if (name != "." && name != "..") ::unlink((dir_ + "/" + name).c_str());
      }
      ::closedir(d);
    }
    ::rmdir(dir_.c_str());
  }

  // Writes `contents` to `name` in the test directory and returns its path.
  std::string WriteRaw(const std::string& name, absl::string_view contents) {
    const std::string path = dir_ + "/" + name;
    const absl::Status status = WriteFileAtomically(path, contents);
    EXPECT_TRUE(status.ok()) << status;
    return path;
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::string dir_;
};

// Expects `status` to be InvalidArgument with a message that starts with
// `path` and contains every string in `parts`.
void ExpectInvalid(const absl::Status& status, const std::string& path,
                   std::initializer_list<absl::string_view> parts) {
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(status.message().substr(0, path.size()), path) << status;
  for (absl::string_view part : parts) {
    EXPECT_NE(status.message().find(part), absl::string_view::npos)
        << "missing \"" << part << "\" in: " << status;
  }
}

void ExpectArray(const absl::StatusOr<Array2D>& a, int64_t rows, int64_t cols,
                 const std::vector<double>& values) {
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->rows, rows);
  EXPECT_EQ(a->cols, cols);
  EXPECT_EQ(a->values, values);
}

// ---------------------------------------------------------------------------
// CSV

TEST_F(ArrayFileTest, CsvRoundTripFloat32Precision) {
  Array2D a;
  a.rows = 3;
  a.cols = 2;
  for (float f : {0.1f, -2.5f, 3.14159274f, 1e-30f, 123456792.0f,
                  -std::numeric_limits<float>::max()}) {
    a.values.push_back(f);
  }
  const std::string path = Path("round.csv");
  ASSERT_TRUE(WriteCsv(path, a).ok());
  absl::StatusOr<Array2D> b = ReadCsv(path);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->rows, 3);
  EXPECT_EQ(b->cols, 2);
  ASSERT_EQ(b->values.size(), a.values.size());
  for (size_t i = 0; i < a.values.size(); ++i) {
    EXPECT_EQ(static_cast<float>(b->values[i]), static_cast<float>(a.values[i]))
        << "index " << i;
  }
}

TEST_F(ArrayFileTest, CsvSingleColumnRoundTrip) {
  Array2D a{4, 1, {1, 2, 3, 4}};
  const std::string path = Path("col.csv");
  ASSERT_TRUE(WriteCsv(path, a).ok());
  absl::StatusOr<std::string> text = ReadFileToString(path);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "1\n2\n3\n4\n");
  ExpectArray(ReadCsv(path), 4, 1, {1, 2, 3, 4});
}

TEST_F(ArrayFileTest, CsvAcceptsHeaderCommentsBlanksSpacesAndCrlf) {
  const std::string path = WriteRaw("fancy.csv",
                                    "# a comment\r\n"
                                    "\r\n"
                                    "  x , y  \r\n"
                                    " 1 ,\t-2.5e1\r\n"
                                    "# another comment\r\n"
                                    "   \r\n"
                                    "+3,0x10\r\n"
                                    "4.0,  .5");  // No final newline.
  ExpectArray(ReadCsv(path), 3, 2, {1, -25, 3, 16, 4, 0.5});
}

TEST_F(ArrayFileTest, CsvNumericFirstLineIsData) {
  const std::string path = WriteRaw("nohead.csv", "1,2\n3,4\n");
  ExpectArray(ReadCsv(path), 2, 2, {1, 2, 3, 4});
}

TEST_F(ArrayFileTest, CsvMixedFirstLineIsNotAHeader) {
  const std::string path = WriteRaw("mixed.csv", "x,1\n3,4\n");
  ExpectInvalid(ReadCsv(path).status(), path,
                {"line 1, column 1: \"x\" is not a number"});
}

TEST_F(ArrayFileTest, CsvSecondHeaderLineIsAnError) {
  const std::string path = WriteRaw("twohead.csv", "x,y\na,b\n1,2\n");
  ExpectInvalid(ReadCsv(path).status(), path,
                {"line 2, column 1: \"a\" is not a number"});
}

TEST_F(ArrayFileTest, CsvRaggedRow) {
  const std::string path = WriteRaw("data.csv", "x,y\n1,2\n3,4\n5,6,7\n8,9\n");
  const absl::Status status = ReadCsv(path).status();
  ExpectInvalid(status, path, {"line 4", "expected 2 columns, got 3"});
  EXPECT_EQ(status.message(), path + ": line 4: expected 2 columns, got 3");
}

TEST_F(ArrayFileTest, CsvShortRow) {
  const std::string path = WriteRaw("short.csv", "1,2,3\n\n# c\n4,5\n");
  ExpectInvalid(ReadCsv(path).status(), path,
                {"line 4: expected 3 columns, got 2"});
}

TEST_F(ArrayFileTest, CsvNonNumber) {
  const std::string path = WriteRaw("data.csv", "x,y\n1,2\n3,abc\n");
  const absl::Status status = ReadCsv(path).status();
  ExpectInvalid(status, path, {"line 3", "column 2", "\"abc\""});
  EXPECT_EQ(status.message(),
            path + ": line 3, column 2: \"abc\" is not a number");
}

TEST_F(ArrayFileTest, CsvTrailingGarbage) {
  const std::string path = WriteRaw("garbage.csv", "1,2\n1.5abc,3\n");
  ExpectInvalid(ReadCsv(path).status(), path,
                {"line 2, column 1: \"1.5abc\" is not a number"});
}

TEST_F(ArrayFileTest, CsvEmptyField) {
  const std::string path = WriteRaw("emptyfield.csv", "1,2,3\n4,,6\n");
  ExpectInvalid(ReadCsv(path).status(), path,
                {"line 2, column 2: \"\" is not a number"});
}

TEST_F(ArrayFileTest, CsvTrailingComma) {
  const std::string path = WriteRaw("trailing.csv", "1,2,\n");
  ExpectInvalid(ReadCsv(path).status(), path,
                {"line 1, column 3: \"\" is not a number"});
}

TEST_F(ArrayFileTest, CsvNaN) {
  const std::string path =
      WriteRaw("data.csv", "# header comment\nx,y\n1,2\n3,4\nnan,5\n");
  const absl::Status status = ReadCsv(path).status();
  ExpectInvalid(status, path, {"line 5", "column 1", "NaN or Inf"});
  EXPECT_EQ(status.message(), path + ": line 5, column 1: value is NaN or Inf");
}

TEST_F(ArrayFileTest, CsvInfSpellings) {
  int i = 0;
  for (const char* spelling : {"inf", "-Inf", "INFINITY", "1e999", "NAN"}) {
    const std::string path =
        WriteRaw(absl::StrCat("inf", i++, ".csv"),
                 absl::StrCat("1,2\r\n3,", spelling, "\r\n"));
    ExpectInvalid(ReadCsv(path).status(), path,
                  {"line 2, column 2: value is NaN or Inf"});
  }
}

TEST_F(ArrayFileTest, CsvEmptyFile) {
  const std::string path = WriteRaw("empty.csv", "");
  ExpectInvalid(ReadCsv(path).status(), path, {"contains no data rows"});
}

TEST_F(ArrayFileTest, CsvHeaderOnly) {
  const std::string path = WriteRaw("header.csv", "x,y\n");
  ExpectInvalid(ReadCsv(path).status(), path, {"contains no data rows"});
}

TEST_F(ArrayFileTest, CsvCommentsAndBlanksOnly) {
  const std::string path = WriteRaw("comments.csv", "# nothing\n\n  \n#x\n");
  ExpectInvalid(ReadCsv(path).status(), path, {"contains no data rows"});
}

TEST_F(ArrayFileTest, CsvMissingFileIsNotFound) {
  const absl::StatusOr<Array2D> a = ReadCsv(Path("missing.csv"));
  EXPECT_EQ(a.status().code(), absl::StatusCode::kNotFound);
}

// ---------------------------------------------------------------------------
// NPY

TEST_F(ArrayFileTest, NpyFloat32RoundTrip) {
  Array2D a{2, 3, {0.5, -1.25, 3.0, 1e-3f, 7.0, -8.0}};
  a.values[3] = static_cast<float>(1e-3);
  const std::string path = Path("f4.npy");
  ASSERT_TRUE(WriteNpy(path, a).ok());
  absl::StatusOr<std::string> bytes = ReadFileToString(path);
  ASSERT_TRUE(bytes.ok());
  // The header is padded so that the data starts on a 64-byte boundary.
  ASSERT_EQ(bytes->size(), 128u + 6 * 4);
  EXPECT_EQ((*bytes)[8] + 256 * (*bytes)[9], 128 - 10);
  EXPECT_NE(bytes->find("'descr': '<f4'"), std::string::npos);
  EXPECT_NE(bytes->find("'shape': (2, 3)"), std::string::npos);
  EXPECT_EQ((*bytes)[127], '\n');
  ExpectArray(ReadNpy(path), 2, 3, a.values);
}

TEST_F(ArrayFileTest, NpyFloat64RoundTrip) {
  Array2D a{3, 2, {0.1, 1e-300, -1e300, 2.0 / 3.0, 0.0, -0.0}};
  const std::string path = Path("f8.npy");
  ASSERT_TRUE(WriteNpy(path, a, /*float64=*/true).ok());
  absl::StatusOr<std::string> bytes = ReadFileToString(path);
  ASSERT_TRUE(bytes.ok());
  EXPECT_NE(bytes->find("'descr': '<f8'"), std::string::npos);
  ExpectArray(ReadNpy(path), 3, 2, a.values);
}

TEST_F(ArrayFileTest, NpyFloat32WriteRoundsToFloat) {
  Array2D a{1, 1, {0.1}};
  const std::string path = Path("round.npy");
  ASSERT_TRUE(WriteNpy(path, a).ok());
  ExpectArray(ReadNpy(path), 1, 1, {static_cast<double>(0.1f)});
}

TEST_F(ArrayFileTest, Npy1DFloat32) {
  const std::string path = WriteRaw(
      "vec.npy",
      MakeNpy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
              F4Bytes({1.5f, -2.0f, 4.0f})));
  ExpectArray(ReadNpy(path), 3, 1, {1.5, -2.0, 4.0});
}

TEST_F(ArrayFileTest, Npy1DFloat64Version2) {
  const std::string path = WriteRaw(
      "vec2.npy",
      MakeNpy(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
              F8Bytes({0.25, 1e10})));
  ExpectArray(ReadNpy(path), 2, 1, {0.25, 1e10});
}

TEST_F(ArrayFileTest, Npy2DVersion3WithDoubleQuotesAndKeyOrder) {
  const std::string path = WriteRaw(
      "v3.npy", MakeNpy(3,
                        "{\"shape\": (1, 2), \"fortran_order\": False, "
                        "\"descr\": \"<f4\"}",
                        F4Bytes({1.0f, 2.0f})));
  ExpectArray(ReadNpy(path), 1, 2, {1.0, 2.0});
}

TEST_F(ArrayFileTest, NpyFortranOrderIsTransposedToRowMajor) {
  // The 2 x 3 matrix [[1, 2, 3], [4, 5, 6]] stored column by column.
  const std::string path = WriteRaw(
      "fortran.npy",
      MakeNpy(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
              F8Bytes({1, 4, 2, 5, 3, 6})));
  ExpectArray(ReadNpy(path), 2, 3, {1, 2, 3, 4, 5, 6});
}

TEST_F(ArrayFileTest, NpyFortranOrderFloat32) {
  // The 3 x 2 matrix [[1, 2], [3, 4], [5, 6]] stored column by column.
  const std::string path = WriteRaw(
      "fortran4.npy",
      MakeNpy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 2), }",
              F4Bytes({1, 3, 5, 2, 4, 6})));
  ExpectArray(ReadNpy(path), 3, 2, {1, 2, 3, 4, 5, 6});
}

TEST_F(ArrayFileTest, NpyTruncated) {
  const std::string path = WriteRaw(
      "trunc.npy",
      MakeNpy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
              F4Bytes({1, 2, 3, 4, 5})));
  ExpectInvalid(ReadNpy(path).status(), path,
                {"truncated: expected 24 bytes of data, found 20"});
}

TEST_F(ArrayFileTest, NpyTruncatedHeader) {
  std::string bytes = MakeNpy(
      1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }", "");
  bytes.resize(30);
  const std::string path = WriteRaw("trunchead.npy", bytes);
  ExpectInvalid(ReadNpy(path).status(), path, {"truncated"});
}

TEST_F(ArrayFileTest, NpyTrailingData) {
  const std::string path = WriteRaw(
      "trailing.npy",
      MakeNpy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }",
              F4Bytes({1, 2})));
  ExpectInvalid(ReadNpy(path).status(), path,
                {"expected 4 bytes of data, found 8"});
}

TEST_F(ArrayFileTest, NpyBadMagic) {
  std::string bytes =
      MakeNpy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }",
              F4Bytes({1}));
  bytes[1] = 'X';
  const std::string path = WriteRaw("magic.npy", bytes);
  ExpectInvalid(ReadNpy(path).status(), path, {"bad magic"});
  const std::string text = WriteRaw("text.npy", "1,2\n3,4\n");
  ExpectInvalid(ReadNpy(text).status(), text, {"bad magic"});
}

TEST_F(ArrayFileTest, NpyEmptyFile) {
  const std::string path = WriteRaw("empty.npy", "");
  ExpectInvalid(ReadNpy(path).status(), path, {"empty"});
}

TEST_F(ArrayFileTest, NpyUnsupportedVersion) {
  std::string bytes =
      MakeNpy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }",
              F4Bytes({1}));
  bytes[6] = 4;
  const std::string path = WriteRaw("version.npy", bytes);
  ExpectInvalid(ReadNpy(path).status(), path, {"version 4.0"});
}

TEST_F(ArrayFileTest, NpyUnsupportedDtype) {
  int i = 0;
  for (const char* dtype : {"<i4", ">f8", "|u1", "<f2", "|f4"}) {
    const std::string path = WriteRaw(
        absl::StrCat("dtype", i++, ".npy"),
        MakeNpy(1,
                absl::StrCat("{'descr': '", dtype,
                             "', 'fortran_order': False, 'shape': (1,), }"),
                F8Bytes({1})));
    ExpectInvalid(ReadNpy(path).status(), path, {"dtype", dtype});
  }
}

TEST_F(ArrayFileTest, NpyStructuredDtype) {
  const std::string path = WriteRaw(
      "struct.npy",
      MakeNpy(1,
              "{'descr': [('a', '<f4'), ('b', '<f4')], 'fortran_order': "
              "False, 'shape': (1,), }",
              F4Bytes({1, 2})));
  ExpectInvalid(ReadNpy(path).status(), path, {"unsupported dtype", "('a'"});
}

TEST_F(ArrayFileTest, NpyUnsupportedShapes) {
  const std::string scalar = WriteRaw(
      "scalar.npy",
      MakeNpy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
              F4Bytes({1})));
  ExpectInvalid(ReadNpy(scalar).status(), scalar, {"shape ()"});
  const std::string cube = WriteRaw(
      "cube.npy",
      MakeNpy(1,
              "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 2), }",
              F4Bytes({1, 2})));
  ExpectInvalid(ReadNpy(cube).status(), cube, {"shape (1, 1, 2)"});
}

TEST_F(ArrayFileTest, NpyZeroRows) {
  const std::string path = WriteRaw(
      "zero.npy",
      MakeNpy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }",
              ""));
  ExpectInvalid(ReadNpy(path).status(), path, {"contains no data rows"});
  const std::string vec = WriteRaw(
      "zerovec.npy",
      MakeNpy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }",
              ""));
  ExpectInvalid(ReadNpy(vec).status(), vec, {"contains no data rows"});
}

TEST_F(ArrayFileTest, NpyMalformedHeader) {
  const std::string path =
      WriteRaw("malformed.npy",
               MakeNpy(1, "{'descr': '<f4', 'shape': (1,), }", F4Bytes({1})));
  ExpectInvalid(ReadNpy(path).status(), path, {"fortran_order"});
  const std::string garbage =
      WriteRaw("garbage.npy", MakeNpy(1, "not a dict", F4Bytes({1})));
  ExpectInvalid(ReadNpy(garbage).status(), garbage, {"malformed"});
}

TEST_F(ArrayFileTest, NpyNaNNamesRowAndColumn) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::string path = WriteRaw(
      "nan.npy",
      MakeNpy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
              F8Bytes({1, 2, 3, 4, 5, nan})));
  const absl::Status status = ReadNpy(path).status();
  ExpectInvalid(status, path, {"line 2", "column 3", "NaN or Inf"});
  EXPECT_EQ(status.message(), path + ": line 2, column 3: value is NaN or Inf");
}

TEST_F(ArrayFileTest, NpyInfInFortranOrderNamesRowMajorPosition) {
  const float inf = std::numeric_limits<float>::infinity();
  // [[1, 2, 3], [4, inf, 6]] stored column by column.
  const std::string path = WriteRaw(
      "inf.npy",
      MakeNpy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
              F4Bytes({1, 4, 2, inf, 3, 6})));
  ExpectInvalid(ReadNpy(path).status(), path,
                {"line 2, column 2: value is NaN or Inf"});
}

TEST_F(ArrayFileTest, NpyMissingFileIsNotFound) {
  EXPECT_EQ(ReadNpy(Path("missing.npy")).status().code(),
            absl::StatusCode::kNotFound);
}

// ---------------------------------------------------------------------------
// Dispatch by extension and write errors.

TEST_F(ArrayFileTest, DispatchByExtensionCaseInsensitive) {
  const Array2D a{2, 2, {1, 2, 3, 4}};
  for (const char* name : {"a.csv", "b.CSV", "c.npy", "d.Npy"}) {
    const std::string path = Path(name);
    ASSERT_TRUE(WriteArrayFile(path, a).ok()) << name;
    ExpectArray(ReadArrayFile(path), 2, 2, a.values);
  }
  absl::StatusOr<std::string> csv = ReadFileToString(Path("b.CSV"));
  ASSERT_TRUE(csv.ok());
  EXPECT_EQ(*csv, "1,2\n3,4\n");
  absl::StatusOr<std::string> npy = ReadFileToString(Path("d.Npy"));
  ASSERT_TRUE(npy.ok());
  EXPECT_EQ(npy->substr(0, 6), std::string("\x93NUMPY", 6));
  EXPECT_NE(npy->find("<f4"), std::string::npos);
}

TEST_F(ArrayFileTest, UnsupportedExtension) {
  const Array2D a{1, 1, {1}};
  for (const char* name : {"data.txt", "data", "dir.csv/data"}) {
    const std::string path = Path(name);
    ExpectInvalid(ReadArrayFile(path).status(), path, {".csv", ".npy"});
    ExpectInvalid(WriteArrayFile(path, a), path, {".csv", ".npy"});
  }
}

TEST_F(ArrayFileTest, WriteRejectsBadArrays) {
  const std::string csv = Path("bad.csv");
  const std::string npy = Path("bad.npy");
  const Array2D mismatched{2, 2, {1, 2, 3}};
  ExpectInvalid(WriteCsv(csv, mismatched), csv, {"3 values"});
  ExpectInvalid(WriteNpy(npy, mismatched), npy, {"3 values"});
  const Array2D empty{0, 2, {}};
  ExpectInvalid(WriteCsv(csv, empty), csv, {"no data"});
  ExpectInvalid(WriteNpy(npy, empty), npy, {"no data"});
  const Array2D with_nan{2, 2, {1, 2, 3, std::nan("")}};
  ExpectInvalid(WriteCsv(csv, with_nan), csv, {"line 2, column 2"});
  ExpectInvalid(WriteNpy(npy, with_nan, true), npy, {"line 2, column 2"});
  const Array2D too_big{1, 2, {1, 1e300}};
  ExpectInvalid(WriteNpy(npy, too_big), npy,
                {"line 1, column 2", "float32 range"});
  EXPECT_TRUE(WriteNpy(npy, too_big, /*float64=*/true).ok());
  EXPECT_EQ(ReadFileToString(csv).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace jkoflow
