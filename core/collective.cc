#include "core/collective.h"

#include <algorithm>

namespace jkoflow {

RankRows ShareOfRows(int64_t rows, int rank, int world_size) {
  const int64_t base = rows / world_size;
  const int64_t extra = rows % world_size;
  RankRows share;
  share.count = base + (rank < extra ? 1 : 0);
  share.begin = rank * base + std::min<int64_t>(rank, extra);
  return share;
}

}  // namespace jkoflow
