"""Progress of a training job, as Job.wait() shows it.

On a terminal: a progress bar over the job's iterations (tqdm's where it is
installed, else one line redrawn in place). Elsewhere (a log file, a
captured stream, a notebook's stdout): one plain line per finished block
and one when the job ends, never carriage returns.
"""

import sys
import time

try:  # optional: pip install jkoflow[progress]
    import tqdm as _tqdm
except ImportError:  # pragma: no cover - depends on the environment
    _tqdm = None


def reporter(progress):
    """The callable Job.wait() calls with each JobEvent, and at the end with
    None: `progress` may be a callable (used as it is, never called with
    None), None or False (nothing), True or "auto" (sys.stderr) or a
    stream with write()."""
    if progress is None or progress is False:
        return None
    if callable(progress) and not hasattr(progress, "write"):
        return lambda event: event is not None and progress(event)
    stream = sys.stderr if progress is True or progress == "auto" else progress
    if not hasattr(stream, "write"):
        raise TypeError("progress: a callable, a stream, True, 'auto' or None")
    is_tty = getattr(stream, "isatty", lambda: False)()
    if is_tty and _tqdm is not None:
        return _TqdmBar(stream)
    if is_tty:
        return _InPlaceLine(stream)
    return _BlockLines(stream)


def _position(event):
    """Iterations done over the whole job, and their total."""
    job = event.job
    done = max(0, event.block - 1) * job.iterations + event.iteration
    return done, max(1, job.blocks_total * job.iterations)


class _BlockLines:
    """One line per finished block, one at the end."""

    def __init__(self, stream):
        self._stream = stream
        self._blocks_done = None
        self._start = time.monotonic()
        self._last = None

    def __call__(self, event):
        if event is None:
            if self._last is not None:
                job = self._last.job
                from jkoflow.job import state_name  # job.py imports this
                self._write(f"job {job.id} {state_name(job.state)}: "
                            f"{job.blocks_done} blocks, model "
                            f"{job.model_name} v{job.model_version}"
                            + (f" ({job.error})" if job.error else ""))
            return
        self._last = event
        done = event.job.blocks_done
        if self._blocks_done is None:
            self._blocks_done = done
        elif done > self._blocks_done:
            self._blocks_done = done
            elapsed = time.monotonic() - self._start
            self._write(f"job {event.job.id}: block {done}/"
                        f"{event.job.blocks_total} done, loss "
                        f"{event.job.last_loss:.4f}, {elapsed:.1f} s")

    def _write(self, line):
        self._stream.write(line + "\n")
        self._stream.flush()


class _InPlaceLine:
    """One line redrawn with a carriage return; a newline at the end."""

    def __init__(self, stream):
        self._stream = stream

    def __call__(self, event):
        if event is None:
            self._stream.write("\n")
            self._stream.flush()
            return
        done, total = _position(event)
        width = 30
        filled = min(width, width * done // total)
        self._stream.write(
            f"\r{event.job.id} [{'#' * filled}{'.' * (width - filled)}] "
            f"block {event.block}/{event.job.blocks_total} loss "
            f"{event.loss:.4f} eta {event.eta_seconds:.0f} s ")
        self._stream.flush()


class _TqdmBar:
    """tqdm's bar over the job's iterations."""

    def __init__(self, stream):
        self._stream = stream
        self._bar = None

    def __call__(self, event):
        if event is None:
            if self._bar is not None:
                self._bar.close()
            return
        done, total = _position(event)
        if self._bar is None:
            self._bar = _tqdm.tqdm(total=total, file=self._stream,
                                   desc=event.job.id, unit="it")
        self._bar.total = total
        self._bar.set_postfix(block=f"{event.block}/{event.job.blocks_total}",
                              loss=f"{event.loss:.4f}", refresh=False)
        self._bar.update(max(0, done - self._bar.n))
