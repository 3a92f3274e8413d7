#include "fuzz/scratch_dir.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace jkoflow {
namespace {

namespace fs = std::filesystem;

std::string* temp_dir = nullptr;  // a fresh directory, removed at exit

void RemoveTempDir() {
  std::error_code ec;
  fs::remove_all(*temp_dir, ec);
}

std::string* MakeScratchDir() {
  if (const char* kept = std::getenv("JKOFLOW_FUZZ_SCRATCH")) {
    std::error_code ec;
    fs::create_directories(kept, ec);
    if (ec) {
      std::fprintf(stderr, "scratch dir %s: %s\n", kept, ec.message().c_str());
      std::abort();
    }
    return new std::string(kept);
  }
  std::string pattern =
      (fs::temp_directory_path() / "jkoflow-fuzz-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  temp_dir = new std::string(pattern);
  std::atexit(RemoveTempDir);
  return temp_dir;
}

}  // namespace

const std::string& ScratchDir() {
  static const std::string* const dir = MakeScratchDir();
  return *dir;
}

void WriteScratchFile(const std::string& path, const uint8_t* data,
                      size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data),
            static_cast<std::streamsize>(size));
  out.close();
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::abort();
  }
}

}  // namespace jkoflow
