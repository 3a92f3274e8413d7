"""Typed exceptions for the outcomes of jkoflow calls.

Every gRPC error a call returns becomes one JkoflowError subclass chosen by
its status code (from_rpc_error() is the client's single translation), so
callers can write `except jkoflow.NotFound:`. The exception keeps the
server's message (`message`) and the gRPC code (`code`); str() reads
"NOT_FOUND: model 'x' not found", as the C++ client prints it.
"""

import grpc


class JkoflowError(Exception):
    """Base class of every error the jkoflow client raises."""

    code = grpc.StatusCode.UNKNOWN

    def __init__(self, message, code=None):
        if code is not None:
            self.code = code
        self.message = message
        super().__init__(f"{self.code.name}: {message}")


class Cancelled(JkoflowError):
    code = grpc.StatusCode.CANCELLED


class Unknown(JkoflowError):
    code = grpc.StatusCode.UNKNOWN


class InvalidArgument(JkoflowError, ValueError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class DeadlineExceeded(JkoflowError, TimeoutError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED


class NotFound(JkoflowError, LookupError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(JkoflowError):
    code = grpc.StatusCode.ALREADY_EXISTS


class PermissionDenied(JkoflowError):
    code = grpc.StatusCode.PERMISSION_DENIED


class ResourceExhausted(JkoflowError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class FailedPrecondition(JkoflowError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class Aborted(JkoflowError):
    code = grpc.StatusCode.ABORTED


class OutOfRange(JkoflowError):
    code = grpc.StatusCode.OUT_OF_RANGE


class Unimplemented(JkoflowError):
    code = grpc.StatusCode.UNIMPLEMENTED


class Internal(JkoflowError):
    code = grpc.StatusCode.INTERNAL


class Unavailable(JkoflowError):
    code = grpc.StatusCode.UNAVAILABLE


class DataLoss(JkoflowError):
    """The server's answer was malformed (a sample missing points, ...)."""

    code = grpc.StatusCode.DATA_LOSS


class Unauthenticated(JkoflowError):
    code = grpc.StatusCode.UNAUTHENTICATED


class JobFailed(JkoflowError):
    """A training job ended FAILED; `job` is its final state."""

    code = grpc.StatusCode.ABORTED

    def __init__(self, job):
        self.job = job
        super().__init__(f"job {job.id} failed: {job.error}")


class JobCancelled(JkoflowError):
    """A training job ended CANCELLED; `job` is its final state."""

    code = grpc.StatusCode.CANCELLED

    def __init__(self, job):
        self.job = job
        super().__init__(f"job {job.id} cancelled: {job.error}")


_BY_CODE = {
    cls.code: cls
    for cls in (Cancelled, Unknown, InvalidArgument, DeadlineExceeded,
                NotFound, AlreadyExists, PermissionDenied, ResourceExhausted,
                FailedPrecondition, Aborted, OutOfRange, Unimplemented,
                Internal, Unavailable, DataLoss, Unauthenticated)
}


def from_rpc_error(error):
    """Returns the JkoflowError for a grpc.RpcError (sync or aio)."""
    code = error.code() if callable(getattr(error, "code", None)) else None
    details = error.details() if callable(getattr(error, "details", None)) else None
    if not isinstance(code, grpc.StatusCode):
        code = grpc.StatusCode.UNKNOWN
    cls = _BY_CODE.get(code, JkoflowError)
    return cls(details or str(error), code)
