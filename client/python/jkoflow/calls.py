"""Request building and answer checking shared by the sync and aio clients."""

import dataclasses
import os
import tempfile

import numpy as np

from jkoflow import points
from jkoflow.errors import DataLoss, InvalidArgument
from jkoflow.hyperparameters import divergence_method
from jkoflow.v1 import flow_pb2, training_pb2


@dataclasses.dataclass(frozen=True)
class Generator:
    """Training data the server draws itself: a built-in 2-D set
    ("8gaussians", "checkerboard", "2spirals", "moons", "pinwheel", "rings",
    "swissroll", "circles") or "gmm:<dim>:<components>:<seed>"; `n` points
    (0: the server's default) from generator seed `seed`."""

    name: str
    n: int = 0
    seed: int = 0


def model_ref(name, version):
    return flow_pb2.ModelRef(name=name, version=version)


def sample_request(name, n, seed, version, trajectory, chunk_points):
    return flow_pb2.SampleRequest(model=model_ref(name, version), n=n,
                                  seed=seed, trajectory=trajectory,
                                  chunk_points=chunk_points)


def log_prob_requests(x, name, version, method, probes, seed,
                      max_message_bytes):
    """Yields the LogLikelihood requests for the rows of `x`, in order, each
    small enough for one message; InvalidArgument unless `x` is [n, d]."""
    matrix = points.as_matrix(x)
    method = divergence_method(method)
    for begin, end in points.row_slices(matrix.shape[0], matrix.shape[1],
                                        max_message_bytes):
        yield end - begin, flow_pb2.LogLikelihoodRequest(
            model=model_ref(name, version),
            points=points.encode(matrix[begin:end]), method=method,
            probes=probes, seed=seed)


def check_log_prob(response, rows):
    """Returns a response's log p as float64 [rows]; DataLoss on a miscount."""
    if len(response.log_prob) != rows:
        raise DataLoss(f"log_prob: {len(response.log_prob)} values for "
                       f"{rows} points")
    return np.asarray(response.log_prob, dtype=np.float64)


def check_std_error_request(method, probes, std_error):
    """InvalidArgument when a standard error is asked for an estimate that
    has none: it needs method="hutchinson" and at least two probes."""
    if std_error and (divergence_method(method) !=
                      flow_pb2.DIVERGENCE_METHOD_HUTCHINSON or probes < 2):
        raise InvalidArgument(
            "std_error: needs method='hutchinson' and probes >= 2 (exact "
            "values have no error; one probe cannot tell its own spread)")


def check_std_error(response, rows):
    """Returns a response's per-point standard errors as float64 [rows];
    DataLoss on a miscount."""
    if len(response.log_prob_std_error) != rows:
        raise DataLoss(f"log_prob_std_error: "
                       f"{len(response.log_prob_std_error)} values for "
                       f"{rows} points")
    return np.asarray(response.log_prob_std_error, dtype=np.float64)


def data_source(generator, data_file):
    """Returns the `data` oneof fields of a training request: at most one of
    a Generator (or generator name) and a server data file."""
    if generator is not None and data_file is not None:
        raise InvalidArgument("generator and data_file: give at most one")
    if isinstance(generator, str):
        generator = Generator(generator)
    if generator is not None:
        return {"generator": training_pb2.GeneratorSpec(
            name=generator.name, n=generator.n, seed=generator.seed)}
    if data_file is not None:
        return {"data_file": data_file}
    return {}


class UploadStream:
    """The UploadChunk messages of one UploadTrainingJob call: the job first,
    then the points of `data` (an [n, d] array or an iterable of them) in
    chunks that fit one message.

    A bad array is not sent: `error` keeps its InvalidArgument and the
    iterator raises, which makes gRPC cancel the call, so that no job starts
    on part of the data; the caller then raises `error`.
    """

    def __init__(self, job, data, max_message_bytes):
        self._job = job
        self._data = data
        self._max_message_bytes = max_message_bytes
        self.error = None

    def _arrays(self):
        if isinstance(self._data, np.ndarray):
            yield self._data
        else:
            yield from self._data

    def __iter__(self):
        yield training_pb2.UploadChunk(job=self._job)
        cols = None
        try:
            for index, array in enumerate(self._arrays()):
                matrix = points.as_matrix(array, f"data[{index}]")
                if cols is not None and matrix.shape[1] != cols:
                    raise InvalidArgument(
                        f"data[{index}]: {matrix.shape[1]} columns, earlier "
                        f"arrays {cols}")
                cols = matrix.shape[1]
                for begin, end in points.row_slices(
                        matrix.shape[0], cols, self._max_message_bytes):
                    yield training_pb2.UploadChunk(
                        points=points.encode(matrix[begin:end]))
        except InvalidArgument as e:
            self.error = e
            raise


def write_atomically(path, data):
    """Writes bytes `data` to `path` through a temporary file beside it."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=".export-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
