#include "core/data_parallel.h"

#include <utility>
#include <vector>

#include "base/status_macros.h"

namespace jkoflow {
namespace {

// BatchRows() is rows [begin, begin + count) of the batch: of `index` into
// `source` when `index` is defined, else of `source` itself.
torch::Tensor BatchRows(const torch::Tensor& source, const torch::Tensor& index,
                        int64_t begin, int64_t count) {
  return index.defined() ? source.index_select(0, index.narrow(0, begin, count))
                         : source.narrow(0, begin, count);
}

class OneProcess final : public Parallelism {
 public:
  bool IsRoot() const override { return true; }
  bool CancelsAtOnce() const override { return true; }
  RankRows Share(int64_t rows) const override { return RankRows{0, rows}; }
  absl::Status Sum(torch::Tensor&) const override { return absl::OkStatus(); }
  absl::StatusOr<LossTerms> SumTerms(const LossTerms& share) const override {
    return share;
  }
  absl::StatusOr<LossTerms> ShareLoss(const JkoBlock& block,
                                      const torch::Tensor& source,
                                      const torch::Tensor& index,
                                      const DivergenceOptions& divergence,
                                      at::Generator& generator) const override {
    const int64_t batch = index.defined() ? index.size(0) : source.size(0);
    return block.Loss(BatchRows(source, index, 0, batch), divergence,
                      generator);
  }
  absl::StatusOr<torch::Tensor> MapRows(const torch::Tensor& x,
                                        const RowMap& map) const override {
    return map(x);
  }
  absl::StatusOr<SummedStep> SumStep(JkoBlock&, const LossTerms& share,
                                     bool cancel_vote) const override {
    return SummedStep{share, cancel_vote};
  }
  absl::Status AgreeOnStats(BlockStats&, torch::Device) const override {
    return absl::OkStatus();
  }
};

class Ranks final : public Parallelism {
 public:
  explicit Ranks(std::shared_ptr<Collective> collective)
      : collective_(std::move(collective)) {}

  bool IsRoot() const override { return collective_->rank() == 0; }
  bool CancelsAtOnce() const override { return false; }
  RankRows Share(int64_t rows) const override {
    return ShareOfRows(rows, collective_->rank(), collective_->world_size());
  }
  absl::Status Sum(torch::Tensor& values) const override {
    return collective_->AllReduceSum(values);
  }
  absl::StatusOr<LossTerms> SumTerms(const LossTerms& share) const override;
  absl::StatusOr<LossTerms> ShareLoss(const JkoBlock& block,
                                      const torch::Tensor& source,
                                      const torch::Tensor& index,
                                      const DivergenceOptions& divergence,
                                      at::Generator& generator) const override;
  absl::StatusOr<torch::Tensor> MapRows(const torch::Tensor& x,
                                        const RowMap& map) const override;
  absl::StatusOr<SummedStep> SumStep(JkoBlock& block, const LossTerms& share,
                                     bool cancel_vote) const override;
  absl::Status AgreeOnStats(BlockStats& stats,
                            torch::Device device) const override;

 private:
  std::shared_ptr<Collective> collective_;
};

absl::StatusOr<LossTerms> Ranks::SumTerms(const LossTerms& share) const {
  torch::Tensor values = torch::stack({share.potential, share.neg_divergence,
                                       share.movement, share.total})
                             .detach()
                             .to(torch::kFloat64);
  RETURN_IF_ERROR(Sum(values));
  values = values.to(share.total.dtype());
  return LossTerms{values[0], values[1], values[2], values[3]};
}

absl::StatusOr<LossTerms> Ranks::ShareLoss(const JkoBlock& block,
                                           const torch::Tensor& source,
                                           const torch::Tensor& index,
                                           const DivergenceOptions& divergence,
                                           at::Generator& generator) const {
  const int64_t batch = index.defined() ? index.size(0) : source.size(0);
  const RankRows share = Share(batch);
  // The whole batch's tangents, as one process would draw them; exact
  // tangents [dim, dim] are shared by all rows, probes are per row.
  torch::Tensor tangents = MakeTangents(divergence, batch, source.size(1),
                                        source.options(), generator);
  if (tangents.dim() == 3) {
    tangents = tangents.narrow(0, share.begin, share.count);
  }
  ASSIGN_OR_RETURN(
      LossTerms terms,
      block.Loss(BatchRows(source, index, share.begin, share.count), divergence,
                 tangents));
  const double weight = static_cast<double>(share.count) / batch;
  terms.potential = terms.potential * weight;
  terms.neg_divergence = terms.neg_divergence * weight;
  terms.movement = terms.movement * weight;
  terms.total = terms.total * weight;
  return terms;
}

absl::StatusOr<torch::Tensor> Ranks::MapRows(const torch::Tensor& x,
                                             const RowMap& map) const {
  const RankRows share = Share(x.size(0));
  ASSIGN_OR_RETURN(torch::Tensor mine,
                   map(x.narrow(0, share.begin, share.count)));
  return collective_->AllGatherRows(mine.contiguous(), x.size(0));
}

absl::StatusOr<SummedStep> Ranks::SumStep(JkoBlock& block,
                                          const LossTerms& share,
                                          bool cancel_vote) const {
  torch::NoGradGuard no_grad;
  // One buffer, one all-reduce per iteration (as DDP's gradient buckets):
  // the gradients, then the four loss terms and the cancel vote.
  std::vector<torch::Tensor> params = block.field()->parameters();
  std::vector<torch::Tensor> parts;
  for (const torch::Tensor& p : params) {
    parts.push_back(p.grad().defined()
                        ? p.grad().reshape(-1)
                        : torch::zeros({p.numel()}, p.options()));
  }
  const torch::Tensor vote =
      torch::full({1}, cancel_vote ? 1.0 : 0.0, share.total.options());
  parts.insert(parts.end(),
               {share.potential.reshape(1), share.neg_divergence.reshape(1),
                share.movement.reshape(1), share.total.reshape(1), vote});
  torch::Tensor buffer = torch::cat(parts);
  RETURN_IF_ERROR(Sum(buffer));
  int64_t offset = 0;
  for (torch::Tensor& p : params) {
    torch::Tensor summed = buffer.narrow(0, offset, p.numel()).view_as(p);
    if (p.grad().defined()) {
      p.mutable_grad().copy_(summed);
    } else {
      p.mutable_grad() = summed.clone();
    }
    offset += p.numel();
  }
  SummedStep step;
  step.terms = LossTerms{buffer[offset], buffer[offset + 1], buffer[offset + 2],
                         buffer[offset + 3]};
  step.cancelled = buffer[offset + 4].item<double>() > 0;
  return step;
}

absl::Status Ranks::AgreeOnStats(BlockStats& stats,
                                 torch::Device device) const {
  std::vector<double> local;
  for (const BlockStatField& field : kBlockStatFields) {
    local.push_back(stats.*field.member);
  }
  torch::Tensor values = torch::tensor(local, torch::kFloat64).to(device);
  RETURN_IF_ERROR(collective_->Broadcast(values, /*root=*/0));
  values = values.cpu();
  int64_t i = 0;
  for (const BlockStatField& field : kBlockStatFields) {
    stats.*field.member = values[i++].item<double>();
  }
  return absl::OkStatus();
}

}  // namespace

std::unique_ptr<Parallelism> SingleProcess() {
  return std::make_unique<OneProcess>();
}

std::unique_ptr<Parallelism> DataParallel(
    std::shared_ptr<Collective> collective) {
  if (collective == nullptr || collective->world_size() <= 1) {
    return SingleProcess();
  }
  return std::make_unique<Ranks>(std::move(collective));
}

}  // namespace jkoflow
