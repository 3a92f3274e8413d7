"""Client: the synchronous jkoflow client (FlowService and TrainingService)."""

import grpc
import numpy as np

from jkoflow import calls, points, security
from jkoflow.errors import InvalidArgument, from_rpc_error
from jkoflow.hyperparameters import hyperparameters
from jkoflow.job import Job
from jkoflow.v1 import flow_pb2, flow_pb2_grpc, training_pb2
from jkoflow.v1 import training_pb2_grpc

DEFAULT_MAX_MESSAGE_BYTES = 4 << 20


class Client:
    """Calls a jkoflow server; points go in and come out as numpy arrays.

    `target` is a gRPC address ("127.0.0.1:50051", "dns:///svc:50051").
    `token` is sent as "authorization: Bearer TOKEN" on every call; `tls` (a
    security.Tls or a dict with ca_file and, for mutual TLS, cert_file and
    key_file) turns TLS on. `timeout` (seconds; None: none) bounds each call,
    except a job's watch. Requests carrying points are split so that no
    message sent exceeds `max_message_bytes` (gRPC's 4 MiB default). `lb`
    is gRPC's load-balancing policy: "round_robin" with a "dns:///" target
    naming several servers (a headless Kubernetes Service) spreads calls
    over all of them.

    Every server error is raised as a JkoflowError subclass (NotFound,
    InvalidArgument, ...). The channel is lazy: an unreachable server shows
    up as Unavailable from the first call. Thread-safe; close() (or `with`)
    releases the channel.
    """

    def __init__(self, target, token=None, tls=None, timeout=None,
                 max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES, lb=None):
        self.target = target
        self.timeout = timeout
        self.max_message_bytes = max_message_bytes
        self._metadata = security.call_metadata(token)
        self._channel = security.open_channel(grpc, target, tls,
                                              max_message_bytes, lb)
        self._flow = flow_pb2_grpc.FlowServiceStub(self._channel)
        self._training = training_pb2_grpc.TrainingServiceStub(self._channel)

    def close(self):
        """Closes the channel; calls in flight are cancelled."""
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _unary(self, method, request, timeout=None):
        try:
            return method(request, timeout=timeout or self.timeout,
                          metadata=self._metadata)
        except grpc.RpcError as e:
            raise from_rpc_error(e) from None

    # FlowService.

    def models(self):
        """Returns every model version the server knows (jkoflow.v1.ModelInfo),
        sorted by name then version."""
        return list(self._unary(self._flow.ListModels,
                                flow_pb2.ListModelsRequest()).models)

    def info(self, name, version=0):
        """Returns the ModelInfo of one model version (0: the newest loaded);
        NotFound for an unknown name or version."""
        return self._unary(self._flow.GetModel, flow_pb2.GetModelRequest(
            model=calls.model_ref(name, version)))

    def load_model(self, name, version=0):
        """Loads a model version (0: every version on disk) and returns the
        loaded versions' ModelInfo."""
        return list(self._unary(self._flow.LoadModel, flow_pb2.LoadModelRequest(
            model=calls.model_ref(name, version))).models)

    def unload_model(self, name, version=0):
        """Frees a model version (0: every version) on the server."""
        self._unary(self._flow.UnloadModel, flow_pb2.UnloadModelRequest(
            model=calls.model_ref(name, version)))

    def export_model(self, name, path=None, version=0):
        """The model as a TorchScript archive (docs/export.md).

        Returns its bytes; with `path` also writes them there (atomically).
        `torch.jit.load` opens it: `log_prob(x, seed=0)`, `sample(n,
        seed=0)`, `forward(x)` (data to noise) and `inverse(z)`.
        """
        response = self._unary(self._flow.ExportModel,
                               flow_pb2.ExportModelRequest(
                                   model=calls.model_ref(name, version)))
        if path is not None:
            calls.write_atomically(path, response.torchscript)
        return response.torchscript

    def sample(self, name, n, seed=0, version=0, trajectory=False,
               chunk_points=0, as_images=False):
        """Draws `n` points from model `name` as float32 [n, d].

        The same `seed` gives the same points (bit for bit unless the server
        batched the call with concurrent ones). With `trajectory` it returns
        the K + 1 sampling stages instead, float32 [K + 1, n, d]: stage 0 is
        the noise, stage K the sample. The server streams chunks of
        `chunk_points` points (0: its default), put back together by offset.
        With `as_images`, each point of an image-shaped model comes back in
        the model's item shape: [n, 28, 28] instead of [n, 784].
        """
        if as_images:
            shape = points.item_shape(self.info(name, version))
            return points.as_images(
                self.sample(name, n, seed, version, trajectory, chunk_points),
                shape)
        request = calls.sample_request(name, n, seed, version, trajectory,
                                       chunk_points)
        assembler = points.SampleAssembler(n, trajectory)
        try:
            for chunk in self._flow.Sample(request, timeout=self.timeout,
                                           metadata=self._metadata):
                assembler.add(chunk)
        except grpc.RpcError as e:
            raise from_rpc_error(e) from None
        return assembler.finish()

    def log_prob(self, x, name, method="exact", probes=1, seed=0, version=0,
                 std_error=False):
        """Returns log p(x) in nats of each row of `x` ([n, d], d the model's
        dimension) as float64 [n].

        `method` is "exact" or "hutchinson" (an unbiased estimate with
        `probes` probes per point, seeded by `seed`). With std_error=True
        (Hutchinson with probes >= 2 only) it returns the pair (log p,
        standard error of each value: its probes' spread over sqrt(probes)).
        Large inputs are sent as several requests, each with the same seed;
        answers keep the input order. Raises InvalidArgument unless `x` is a
        non-empty 2-D array.
        """
        calls.check_std_error_request(method, probes, std_error)
        results = [np.empty(0, np.float64)]
        errors = [np.empty(0, np.float64)]
        for rows, request in calls.log_prob_requests(
                x, name, version, method, probes, seed, self.max_message_bytes):
            response = self._unary(self._flow.LogLikelihood, request)
            results.append(calls.check_log_prob(response, rows))
            if std_error:
                errors.append(calls.check_std_error(response, rows))
        if std_error:
            return np.concatenate(results), np.concatenate(errors)
        return np.concatenate(results)

    def bits_per_dim(self, x, name, version=0, seed=0):
        """Bits per dimension of the rows of `x` on the data's own scale, for
        a model of integer data (the dequantised bound, exact divergence).

        Raises FailedPrecondition for a model of real-valued data, where
        bits per dimension do not apply.
        """
        info = self.info(name, version)
        return points.bits_per_dim(
            info, self.log_prob(x, name, seed=seed, version=info.version))

    # TrainingService.

    def train(self, name, data=None, *, data_file=None, generator=None,
              **hyperparameters_):
        """Starts training a new model `name` and returns its Job.

        The data is exactly one of: `data`, an [n, d] array or an iterable of
        [m, d] arrays, uploaded in chunks that fit one message;
        `data_file`, a CSV or .npy file under the server's --data_dir;
        `generator`, a built-in generator name or a calls.Generator.
        Keyword arguments are fields of jkoflow.v1.Hyperparameters (blocks,
        iterations, batch_size, width, ...); unset ones take the server's
        defaults, and an unknown one is a TypeError.
        """
        hp = hyperparameters("train", hyperparameters_)
        sources = sum(x is not None for x in (data, data_file, generator))
        if sources != 1:
            raise InvalidArgument("train: give exactly one of data, data_file "
                                  f"and generator ({sources} given)")
        if data is None:
            request = training_pb2.CreateTrainingJobRequest(
                model_name=name, hyperparameters=hp,
                **calls.data_source(generator, data_file))
            return Job(self, self._unary(self._training.CreateTrainingJob,
                                         request))
        stream = calls.UploadStream(
            training_pb2.CreateTrainingJobRequest(model_name=name,
                                                  hyperparameters=hp),
            data, self.max_message_bytes)
        try:
            job = self._training.UploadTrainingJob(
                iter(stream), timeout=self.timeout, metadata=self._metadata)
        except grpc.RpcError as e:
            if stream.error is not None:
                raise stream.error from None
            raise from_rpc_error(e) from None
        return Job(self, job)

    def train_block(self, name, version=0, *, data_file=None, generator=None,
                    **hyperparameters_):
        """Appends one JKO block to model `name` (version 0: the newest),
        written as a new version, and returns the Job. Data (a generator or a
        server file) and unset hyperparameters default to the model's own."""
        request = training_pb2.TrainBlockRequest(
            model=calls.model_ref(name, version),
            hyperparameters=hyperparameters("train_block", hyperparameters_),
            **calls.data_source(generator, data_file))
        return Job(self, self._unary(self._training.TrainBlock, request))

    def job(self, job_id):
        """Returns the Job with id `job_id`; NotFound for an unknown id."""
        return Job(self, self._get_job_message(job_id))

    def jobs(self):
        """Returns every training job the server knows."""
        response = self._unary(self._training.ListJobs,
                               training_pb2.ListJobsRequest())
        return [Job(self, message) for message in response.jobs]

    def _get_job_message(self, job_id):
        return self._unary(self._training.GetJob,
                           training_pb2.GetJobRequest(id=job_id))

    def _cancel_job_message(self, job_id):
        return self._unary(self._training.CancelJob,
                           training_pb2.CancelJobRequest(id=job_id))

    def _watch_job(self, job_id, timeout):
        try:
            yield from self._training.WatchJob(
                training_pb2.WatchJobRequest(id=job_id), timeout=timeout,
                metadata=self._metadata)
        except grpc.RpcError as e:
            raise from_rpc_error(e) from None
