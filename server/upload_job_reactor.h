#ifndef JKOFLOW_SERVER_UPLOAD_JOB_REACTOR_H_
#define JKOFLOW_SERVER_UPLOAD_JOB_REACTOR_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "jkoflow/v1/training.pb.h"
#include "server/executor.h"
#include "server/job_manager.h"
#include "server/metrics.h"

namespace jkoflow {

// UploadJobReactor receives one TrainingService.UploadTrainingJob stream:
// the first message carries the job, the following ones point chunks of a
// constant dimension, each validated on arrival (shape, length, finite
// values and range). A full training queue, or --max_uploads uploads in
// progress, refuses the upload at its first message (RESOURCE_EXHAUSTED).
// When the client closes the stream the points are handed to the executor,
// which creates the job (persisting them as the job's .npy) unless the
// call was cancelled, and finishes the call. Deletes itself in OnDone(),
// giving its upload place back.
class UploadJobReactor final : public grpc::ServerReadReactor<v1::UploadChunk> {
 public:
  UploadJobReactor(JobManager* manager, Executor* executor, Metrics* metrics,
                   v1::Job* response);

  void OnReadDone(bool ok) override;
  void OnCancel() override { cancelled_ = true; }
  void OnDone() override;

 private:
  // Accept() validates and stores chunk_.
  absl::Status Accept();
  void FinishWith(const absl::Status& status);

  JobManager* const manager_;
  Executor* const executor_;
  v1::Job* const response_;
  RequestTimer timer_;
  std::atomic<bool> cancelled_{false};
  v1::UploadChunk chunk_;
  bool has_job_ = false;
  bool holds_upload_ = false;  // owns one JobManager::AcquireUpload() place
  v1::CreateTrainingJobRequest job_;
  int64_t rows_ = 0;
  int64_t cols_ = 0;
  std::vector<float> values_;
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_UPLOAD_JOB_REACTOR_H_
