"""jkoflow: a Python client of the jkoflow server (JKO normalizing flows).

    import jkoflow
    client = jkoflow.Client("127.0.0.1:50051")
    job = client.train("demo", data=x, blocks=4, iterations=300).wait()
    samples = client.sample("demo", 1000, seed=1)   # float32 [1000, d]
    logp = client.log_prob(samples, "demo")          # float64 [1000]

The gRPC messages and stubs generated from proto/ are in jkoflow.v1;
jkoflow.aio has the asyncio client.
"""

from jkoflow.calls import Generator
from jkoflow.client import Client
from jkoflow.errors import (Aborted, AlreadyExists, Cancelled, DataLoss,
                            DeadlineExceeded, FailedPrecondition, Internal,
                            InvalidArgument, JkoflowError, JobCancelled,
                            JobFailed, NotFound, OutOfRange, PermissionDenied,
                            ResourceExhausted, Unauthenticated, Unavailable,
                            Unimplemented, Unknown)
from jkoflow.job import Job, is_terminal
from jkoflow.security import Tls

__all__ = [
    "Aborted", "AlreadyExists", "Cancelled", "Client", "DataLoss",
    "DeadlineExceeded", "FailedPrecondition", "Generator", "Internal",
    "InvalidArgument", "JkoflowError", "Job", "JobCancelled", "JobFailed",
    "NotFound", "OutOfRange", "PermissionDenied", "ResourceExhausted", "Tls",
    "Unauthenticated", "Unavailable", "Unimplemented", "Unknown",
    "is_terminal",
]
