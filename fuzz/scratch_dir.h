#ifndef JKOFLOW_FUZZ_SCRATCH_DIR_H_
#define JKOFLOW_FUZZ_SCRATCH_DIR_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace jkoflow {

// ScratchDir() is a directory private to this process for fuzz targets
// whose code under test reads files: a fresh temporary directory, removed
// at exit, or the directory named by $JKOFLOW_FUZZ_SCRATCH (created if
// needed and kept, to look at what a crashing input left behind).
// Aborts when it cannot be created. Not thread-safe (fuzzing is serial).
const std::string& ScratchDir();

// WriteScratchFile() replaces `path` with the `size` bytes at `data`;
// aborts on failure (a fuzz run cannot go on without its input file).
void WriteScratchFile(const std::string& path, const uint8_t* data,
                      size_t size);

}  // namespace jkoflow

#endif  // JKOFLOW_FUZZ_SCRATCH_DIR_H_
