"""A jkoflow-server child process for the Python tests."""

import os
import signal
import subprocess
import time


# Hyperparameters of a model that trains in about a second: for tests that
# need a trained model, not a good one.
TINY = dict(blocks=2, iterations=30, batch_size=200, width=16, depth=2,
            steps=2, diagnostic_points=0, seed=5)


class Server:
    """A jkoflow-server child process on a free loopback port, stores under
    `directory`; stop() sends SIGTERM and returns the exit code."""

    def __init__(self, binary, directory, flags=(), model_dir=None):
        self.directory = directory
        for sub in ("models", "jobs", "data"):
            os.makedirs(os.path.join(directory, sub), exist_ok=True)
        # Replicas may share one model store.
        model_dir = model_dir or os.path.join(directory, "models")
        self._stdout_path = os.path.join(directory, "server.stdout")
        self._stderr_path = os.path.join(directory, "server.stderr")
        argv = [binary, "--port=0", "--metrics_listen=127.0.0.1:0",
                f"--model_dir={model_dir}",
                f"--job_dir={directory}/jobs",
                f"--data_dir={directory}/data", "--threads=1", *flags]
        with open(self._stdout_path, "wb") as out, \
                open(self._stderr_path, "wb") as err:
            self.process = subprocess.Popen(argv, stdout=out, stderr=err)
        self.address = self._wait_for_address(timeout=120)

    def _wait_for_address(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self._stdout_path) as f:
                lines = f.read().split("\n")[:-1]  # complete lines only
            address = None
            for line in lines:
                if line.startswith("listening on "):
                    address = line[len("listening on "):].strip()
                if line.startswith("metrics on "):
                    self.metrics_address = line[len("metrics on "):].strip()
                if line.startswith("http on "):  # with --http_listen
                    self.http_address = line[len("http on "):].strip()
            if address is not None and hasattr(self, "metrics_address"):
                return address
            if self.process.poll() is not None:
                break
            time.sleep(0.01)
        self.process.kill()
        raise RuntimeError("jkoflow-server did not start; stderr:\n"
                           + self.log())

    def log(self):
        with open(self._stderr_path) as f:
            return f.read()

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


def write_token_file(directory, *lines):
    """Writes "TOKEN ROLE" `lines` to <directory>/tokens (mode 0600, made
    with the directory) for --auth_token_file; returns its path."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "tokens")
    with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write("".join(line + "\n" for line in lines))
    return path

