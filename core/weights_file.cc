#include "core/weights_file.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <cstdint>
#include <cstring>
#include <map>

#include "absl/strings/str_cat.h"
#include "core/torch_status.h"

namespace jkoflow {
namespace {

constexpr char kMagic[] = "JKOFLOWW";
constexpr uint32_t kVersion = 1;

static_assert(sizeof(float) == 4 && sizeof(double) == 8, "IEEE floats");

template <typename T>
void Append(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

// Reader walks the bytes with bounds checks; every failure is DATA_LOSS.
class Reader {
 public:
  Reader(const std::string& bytes, const std::string& file)
      : bytes_(bytes), file_(file) {}

  template <typename T>
  absl::Status Read(T& value) {
    if (pos_ + sizeof(T) > bytes_.size()) return Truncated();
    std::memcpy(&value, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return absl::OkStatus();
  }
  absl::Status ReadBytes(size_t n, std::string& out) {
    if (n > bytes_.size() - pos_) return Truncated();
    out.assign(bytes_.data() + pos_, n);
    pos_ += n;
    return absl::OkStatus();
  }
  bool AtEnd() const { return pos_ == bytes_.size(); }
  absl::Status Truncated() const {
    return absl::DataLossError(absl::StrCat(file_, ": truncated weights file (",
                                            bytes_.size(), " bytes)"));
  }

 private:
  const std::string& bytes_;
  const std::string& file_;
  size_t pos_ = 0;
};

#define JKOFLOW_READ_OR_RETURN(expr)                             \
  do {                                                           \
    absl::Status jkoflow_read_status_ = (expr);                  \
    if (!jkoflow_read_status_.ok()) return jkoflow_read_status_; \
  } while (false)

}  // namespace

absl::StatusOr<std::string> SerializeWeights(const VelocityFieldImpl& field) {
  return GuardTorch([&]() -> absl::StatusOr<std::string> {
    std::string out(kMagic, 8);
    Append<uint32_t>(out, kVersion);
    const auto params = field.named_parameters(/*recurse=*/true);
    Append<uint32_t>(out, static_cast<uint32_t>(params.size()));
    for (const auto& item : params) {
      const torch::Tensor t =
          item.value().detach().to(torch::kCPU).contiguous();
      if (t.scalar_type() != torch::kFloat32 &&
          t.scalar_type() != torch::kFloat64) {
        return absl::InvalidArgumentError(
            absl::StrCat(item.key(), ": only float32/float64 weights"));
      }
      Append<uint32_t>(out, static_cast<uint32_t>(item.key().size()));
      out += item.key();
      Append<uint8_t>(out, t.scalar_type() == torch::kFloat32 ? 1 : 2);
      Append<uint8_t>(out, static_cast<uint8_t>(t.dim()));
      for (int64_t s : t.sizes()) Append<int64_t>(out, s);
      out.append(static_cast<const char*>(t.data_ptr()), t.nbytes());
    }
    return out;
  });
}

namespace {

// ReadTensor() reads one named tensor record (name, dtype, rank, sizes,
// values) into `loaded`.
absl::Status ReadTensor(Reader& reader, const std::string& file,
                        std::map<std::string, torch::Tensor>& loaded) {
  uint32_t name_length = 0;
  JKOFLOW_READ_OR_RETURN(reader.Read(name_length));
  std::string name;
  JKOFLOW_READ_OR_RETURN(reader.ReadBytes(name_length, name));
  uint8_t dtype = 0, rank = 0;
  JKOFLOW_READ_OR_RETURN(reader.Read(dtype));
  JKOFLOW_READ_OR_RETURN(reader.Read(rank));
  if ((dtype != 1 && dtype != 2) || rank > 8) {
    return absl::DataLossError(
        absl::StrCat(file, ": tensor ", name, " has a bad header"));
  }
  std::vector<int64_t> sizes(rank);
  int64_t numel = 1;
  for (auto& s : sizes) {
    JKOFLOW_READ_OR_RETURN(reader.Read(s));
    if (s < 0 || s > (int64_t{1} << 32)) {
      return absl::DataLossError(
          absl::StrCat(file, ": tensor ", name, " has a bad shape"));
    }
    numel *= s;
  }
  const size_t element = dtype == 1 ? 4 : 8;
  std::string data;
  JKOFLOW_READ_OR_RETURN(reader.ReadBytes(numel * element, data));
  return GuardTorch([&]() -> absl::Status {
    torch::Tensor t =
        torch::empty(sizes, dtype == 1 ? torch::kFloat32 : torch::kFloat64);
    std::memcpy(t.data_ptr(), data.data(), data.size());
    loaded[name] = t;
    return absl::OkStatus();
  });
}

// CopyInto() copies the `loaded` tensors into `field`'s parameters: the
// same names and shapes, no more and no fewer.
absl::Status CopyInto(const std::map<std::string, torch::Tensor>& loaded,
                      const std::string& file, VelocityFieldImpl& field) {
  return GuardTorch([&]() -> absl::Status {
    torch::NoGradGuard no_grad;
    auto params = field.named_parameters(/*recurse=*/true);
    if (params.size() != loaded.size()) {
      return absl::DataLossError(
          absl::StrCat(file, ": holds ", loaded.size(),
                       " tensors, the block config needs ", params.size()));
    }
    for (auto& item : params) {
      auto it = loaded.find(item.key());
      if (it == loaded.end()) {
        return absl::DataLossError(
            absl::StrCat(file, ": missing tensor ", item.key()));
      }
      if (it->second.sizes() != item.value().sizes()) {
        return absl::DataLossError(absl::StrCat(file, ": tensor ", item.key(),
                                                " has the wrong shape for the ",
                                                "block config"));
      }
      item.value().copy_(it->second);
    }
    return absl::OkStatus();
  });
}

}  // namespace

absl::Status DeserializeWeights(const std::string& bytes,
                                const std::string& file,
                                VelocityFieldImpl& field) {
  Reader reader(bytes, file);
  std::string magic;
  JKOFLOW_READ_OR_RETURN(reader.ReadBytes(8, magic));
  if (magic != std::string(kMagic, 8)) {
    return absl::DataLossError(
        absl::StrCat(file, ": not a jkoflow weights file (bad magic)"));
  }
  uint32_t version = 0, count = 0;
  JKOFLOW_READ_OR_RETURN(reader.Read(version));
  if (version != kVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        file, ": weights format version ", version, ", expected ", kVersion));
  }
  JKOFLOW_READ_OR_RETURN(reader.Read(count));
  std::map<std::string, torch::Tensor> loaded;
  for (uint32_t i = 0; i < count; ++i) {
    JKOFLOW_READ_OR_RETURN(ReadTensor(reader, file, loaded));
  }
  if (!reader.AtEnd()) {
    return absl::DataLossError(
        absl::StrCat(file, ": trailing bytes after the last tensor"));
  }
  return CopyInto(loaded, file, field);
}

}  // namespace jkoflow
