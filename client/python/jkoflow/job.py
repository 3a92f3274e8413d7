"""Job: a handle on one training job of a jkoflow server."""

from jkoflow.errors import DataLoss, JobCancelled, JobFailed
from jkoflow.progress import reporter
from jkoflow.v1 import training_pb2

_TERMINAL = frozenset((training_pb2.JOB_STATE_SUCCEEDED,
                       training_pb2.JOB_STATE_FAILED,
                       training_pb2.JOB_STATE_CANCELLED))


def state_name(state):
    """The name of a JobState value without its prefix: "QUEUED", ...,
    "SUCCEEDED"."""
    return training_pb2.JobState.Name(state)[len("JOB_STATE_"):]


def is_terminal(state):
    """Says whether a job in `state` (a JobState value) can no longer change."""
    return state in _TERMINAL


class Job:
    """A training job as last seen: `message` is its jkoflow.v1.Job, whose
    fields (id, state, model_name, blocks_done, model_version, error, ...)
    read as attributes of the Job. events(), wait(), refresh() and cancel()
    call the server through the Client that made it. Not thread-safe."""

    def __init__(self, client, message):
        self._client = client
        self.message = message

    def __getattr__(self, name):
        if name == "message":  # not set yet (copy, unpickling)
            raise AttributeError(name)
        return getattr(self.message, name)

    @property
    def state_name(self):
        """The state without its prefix: "QUEUED", ..., "SUCCEEDED"."""
        return state_name(self.message.state)

    @property
    def done(self):
        """True once the job is SUCCEEDED, FAILED or CANCELLED."""
        return is_terminal(self.message.state)

    def __repr__(self):
        return (f"Job(id={self.message.id!r}, model={self.message.model_name!r}, "
                f"state={self.state_name}, blocks={self.message.blocks_done}/"
                f"{self.message.blocks_total})")

    def refresh(self):
        """Fetches the job's current state (GetJob) and returns self."""
        self.message = self._client._get_job_message(self.message.id)
        return self

    def cancel(self):
        """Asks the server to stop the job (it stops within one training
        iteration; a finished job is left unchanged) and returns self."""
        self.message = self._client._cancel_job_message(self.message.id)
        return self

    def events(self, timeout=None):
        """Iterates over the job's progress (jkoflow.v1.JobEvent, at most 10
        a second) until it ends; the last event carries the terminal state.
        `timeout` (seconds, None: none) bounds the whole watch."""
        for event in self._client._watch_job(self.message.id, timeout):
            self.message = event.job
            yield event

    def wait(self, progress="auto", timeout=None):
        """Follows the job until it ends and returns self once SUCCEEDED.
        Raises JobFailed or JobCancelled (with the final job in `.job`) when
        it ends otherwise, DeadlineExceeded after `timeout` seconds.

        `progress`: "auto" (default) shows it on stderr — a progress bar on
        a terminal (tqdm's where installed), one line per finished block
        elsewhere; a stream (anything with write()) the same there; a
        callable is called with each jkoflow.v1.JobEvent; None is quiet."""
        report = reporter(progress)
        try:
            for event in self.events(timeout):
                if report is not None:
                    report(event)
        finally:
            if report is not None:
                report(None)
        if not self.done:  # the stream ended early; ask once more
            self.refresh()
        if not self.done:
            raise DataLoss(f"job {self.message.id}: watch ended while "
                           f"{self.state_name}")
        self.raise_unless_succeeded()
        return self

    def raise_unless_succeeded(self):
        """Raises JobFailed or JobCancelled for a FAILED or CANCELLED job."""
        if self.message.state == training_pb2.JOB_STATE_FAILED:
            raise JobFailed(self.message)
        if self.message.state == training_pb2.JOB_STATE_CANCELLED:
            raise JobCancelled(self.message)
