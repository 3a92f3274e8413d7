#include "base/atomic_file.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace jkoflow {
namespace {

// Creates a fresh directory under testing::TempDir() and removes its (flat)
// contents when the test ends.
class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string base = ::testing::TempDir();
    if (base.empty() || base.back() != '/') base.push_back('/');
    std::string pattern = base + "atomic_file_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }

  void TearDown() override {
    for (const std::string& name : ListDir()) {
      ::unlink((dir_ + "/" + name).c_str());
    }
    ::rmdir(dir_.c_str());
  }

  std::vector<std::string> ListDir() const {
    std::vector<std::string> names;
    DIR* d = ::opendir(dir_.c_str());
    if (d == nullptr) return names;
    while (const dirent* entry = ::readdir(d)) {
      const std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
    return names;
  }

  std::string dir_;
};

TEST_F(AtomicFileTest, RoundTrip) {
  const std::string path = dir_ + "/data.bin";
  const std::string contents("hello\0world\n", 12);
  ASSERT_TRUE(WriteFileAtomically(path, contents).ok());
  absl::StatusOr<std::string> read = ReadFileToString(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, contents);
}

TEST_F(AtomicFileTest, EmptyContents) {
  const std::string path = dir_ + "/empty";
  ASSERT_TRUE(WriteFileAtomically(path, "").ok());
  absl::StatusOr<std::string> read = ReadFileToString(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "");
}

TEST_F(AtomicFileTest, LargeContents) {
  const std::string path = dir_ + "/large";
  std::string contents(3 * 1000 * 1000 + 7, '\0');
  for (size_t i = 0; i < contents.size(); ++i) {
    contents[i] = static_cast<char>(i * 31 + 7);
  }
  ASSERT_TRUE(WriteFileAtomically(path, contents).ok());
  absl::StatusOr<std::string> read = ReadFileToString(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, contents);
}

TEST_F(AtomicFileTest, OverwriteLeavesNoTempFiles) {
  const std::string path = dir_ + "/file.txt";
  ASSERT_TRUE(WriteFileAtomically(path, "first version, longer").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "second").ok());
  absl::StatusOr<std::string> read = ReadFileToString(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "second");
  EXPECT_EQ(ListDir(), std::vector<std::string>{"file.txt"});
}

TEST_F(AtomicFileTest, MissingFileIsNotFound) {
  const std::string path = dir_ + "/does_not_exist";
  absl::StatusOr<std::string> read = ReadFileToString(path);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(read.status().message().find(path), std::string::npos)
      << read.status();
}

TEST_F(AtomicFileTest, ReadingADirectoryFails) {
  absl::StatusOr<std::string> read = ReadFileToString(dir_);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find(dir_), std::string::npos)
      << read.status();
}

TEST_F(AtomicFileTest, WriteIntoMissingDirectoryFailsAndNamesPath) {
  const std::string path = dir_ + "/no_such_dir/file.txt";
  const absl::Status status = WriteFileAtomically(path, "x");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(status.message().find(path), std::string::npos) << status;
  EXPECT_NE(status.message().find("No such file or directory"),
            std::string::npos)
      << status;
  EXPECT_TRUE(ListDir().empty());
}

TEST_F(AtomicFileTest, RenameOverDirectoryFailsAndCleansUp) {
  const std::string path = dir_ + "/subdir";
  ASSERT_EQ(::mkdir(path.c_str(), 0755), 0);
  const absl::Status status = WriteFileAtomically(path, "x");
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find(path), std::string::npos) << status;
  EXPECT_EQ(ListDir(), std::vector<std::string>{"subdir"});
  ::rmdir(path.c_str());
}

TEST_F(AtomicFileTest, SyncDirectory) {
  EXPECT_TRUE(SyncDirectory(dir_).ok());
  EXPECT_TRUE(SyncDirectory("").ok());
  const absl::Status status = SyncDirectory(dir_ + "/missing");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(status.message().find(dir_ + "/missing"), std::string::npos);
}

TEST_F(AtomicFileTest, RelativePath) {
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof(cwd)), nullptr);
  ASSERT_EQ(::chdir(dir_.c_str()), 0);
  const absl::Status status = WriteFileAtomically("relative.txt", "rel");
  absl::StatusOr<std::string> read = ReadFileToString("relative.txt");
  ASSERT_EQ(::chdir(cwd), 0);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "rel");
}

}  // namespace
}  // namespace jkoflow
