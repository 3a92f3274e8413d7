"""Points on the wire: numpy arrays to and from `jkoflow.v1.Points`.

`Points.data` is rows x cols float32, little-endian, row-major. Requests that
carry points are split into messages of at most `max_message_bytes // 4`
bytes of points (so a message with its other fields stays well under the
limit), and their answers are put back together in order.
"""

import numpy as np

from jkoflow.errors import DataLoss, FailedPrecondition, InvalidArgument
from jkoflow.v1 import flow_pb2

_WIRE_DTYPE = np.dtype("<f4")


def as_matrix(x, what="points"):
    """Returns `x` as a C-contiguous little-endian float32 [n, d] array.

    Raises InvalidArgument naming `what` unless `x` is 2-D with n >= 1 and
    d >= 1.
    """
    array = np.asarray(x)
    if array.ndim != 2:
        raise InvalidArgument(
            f"{what}: expected a 2-D array [n, d], got shape {array.shape}")
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise InvalidArgument(
            f"{what}: expected at least one row and one column, got shape "
            f"{array.shape}")
    return np.ascontiguousarray(array, dtype=_WIRE_DTYPE)


def encode(matrix):
    """Returns a `Points` message holding the rows of a float32 [n, d] array."""
    return flow_pb2.Points(rows=matrix.shape[0], cols=matrix.shape[1],
                           data=matrix.tobytes())


def decode(points, what="points"):
    """Returns a `Points` message as a float32 [rows, cols] array.

    Raises DataLoss when the byte count disagrees with the shape.
    """
    if points.rows < 0 or points.cols < 0 or (
            len(points.data) != points.rows * points.cols * 4):
        raise DataLoss(
            f"{what}: {len(points.data)} bytes for {points.rows} x "
            f"{points.cols} float32 values")
    array = np.frombuffer(points.data, dtype=_WIRE_DTYPE)
    return array.reshape(points.rows, points.cols).astype(np.float32)


def rows_per_message(cols, max_message_bytes):
    """Rows of `cols` float32 values that fit a quarter of a message, >= 1."""
    return max(1, max_message_bytes // 4 // (4 * max(1, cols)))


def row_slices(rows, cols, max_message_bytes):
    """Yields (begin, end) row ranges that each fit one message, in order."""
    step = rows_per_message(cols, max_message_bytes)
    for begin in range(0, rows, step):
        yield begin, min(rows, begin + step)


class SampleAssembler:
    """Puts the chunks of one Sample stream back together by their offsets.

    Chunks may come in any order; finish() checks that they cover [0, n)
    exactly once. With `trajectory` it keeps the K + 1 stages of each chunk.
    Not thread-safe; one instance per stream.
    """

    def __init__(self, n, trajectory):
        self._n = n
        self._trajectory = trajectory
        self._points = None  # [n, d] once the first chunk names d
        self._stages = None  # [K + 1, n, d] with trajectory
        self._covered = np.zeros(n, dtype=np.int32)

    def add(self, chunk):
        """Copies one SampleChunk into place; DataLoss if it does not fit."""
        points = decode(chunk.points, f"chunk at offset {chunk.offset}")
        begin, end = chunk.offset, chunk.offset + points.shape[0]
        if begin < 0 or end > self._n:
            raise DataLoss(f"chunk at offset {begin}: rows [{begin}, {end}) "
                           f"outside [0, {self._n})")
        if self._points is None:
            self._points = np.empty((self._n, points.shape[1]), np.float32)
            if self._trajectory:
                self._stages = np.empty(
                    (len(chunk.stages), self._n, points.shape[1]), np.float32)
        if points.shape[1] != self._points.shape[1]:
            raise DataLoss(f"chunk at offset {begin}: {points.shape[1]} "
                           f"columns, earlier chunks {self._points.shape[1]}")
        self._points[begin:end] = points
        if self._trajectory:
            if len(chunk.stages) != self._stages.shape[0]:
                raise DataLoss(f"chunk at offset {begin}: {len(chunk.stages)} "
                               f"stages, earlier chunks {self._stages.shape[0]}")
            for s, stage in enumerate(chunk.stages):
                values = decode(stage, f"stage {s} at offset {begin}")
                if values.shape != points.shape:
                    raise DataLoss(f"stage {s} at offset {begin}: shape "
                                   f"{values.shape}, points {points.shape}")
                self._stages[s, begin:end] = values
        self._covered[begin:end] += 1

    def finish(self):
        """Returns the [n, d] sample, or [K + 1, n, d] stages with trajectory.

        Raises DataLoss when the chunks overlap or miss points.
        """
        received = int(np.count_nonzero(self._covered))
        if self._points is None or received != self._n or (
                self._covered.max() != 1):
            raise DataLoss(f"received {received} of {self._n} points"
                           + (" (overlapping chunks)"
                              if self._covered.max(initial=0) > 1 else ""))
        return self._stages if self._trajectory else self._points


def item_shape(info):
    """Returns the shape of one point of the model `info` describes (a
    ModelInfo): its item_shape, e.g. (28, 28), or (dim,) when it has none."""
    shape = tuple(info.item_shape)
    return shape if shape else (info.dim,)


def as_images(values, shape):
    """Reshapes samples [n, d] (or stages [K + 1, n, d]) so that each point
    has `shape`; InvalidArgument when the sizes do not match."""
    values = np.asarray(values)
    if int(np.prod(shape)) != values.shape[-1]:
        raise InvalidArgument(
            f"shape: {tuple(shape)} does not hold {values.shape[-1]} values")
    return values.reshape(values.shape[:-1] + tuple(shape))


def bits_per_dim(info, log_prob):
    """Returns −mean(log_prob) / (dim · ln 2) for a model of integer data
    (ModelInfo.integer); FailedPrecondition otherwise."""
    if not info.integer:
        raise FailedPrecondition(
            f"model {info.name} version {info.version} is of real-valued "
            "data: bits per dimension apply to integer data only")
    return float(-np.mean(log_prob) / (info.dim * np.log(2.0)))
