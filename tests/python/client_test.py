"""Tests of the Python client `jkoflow` against a real jkoflow-server.

Usage: client_test.py --server PATH/jkoflow-server --cli PATH/jkoflow
                      [unittest arguments]
with the generated package on PYTHONPATH (<build>/client/python); ctest
(label `python`) passes all three. The test starts one server on a free
loopback port with its stores in a temporary directory, trains one tiny
model from numpy data, and checks sampling, likelihoods (against the C++
CLI), training jobs, the asyncio client and the exception of each error it
can provoke; further servers check bearer tokens and mutual TLS.
"""

import argparse
import asyncio
import io
import os
import subprocess
import sys
import tempfile
import unittest

import grpc
import numpy as np

import jkoflow
import jkoflow.aio
from certificates import make_ca_server_and_client
from server_process import Server

SERVER = None  # path of jkoflow-server
CLI = None     # path of the jkoflow CLI

# Tiny training: seconds on a busy core.
TINY = dict(blocks=2, iterations=40, batch_size=200, width=16, depth=2,
            steps=2, diagnostic_points=0, seed=3)


def eight_gaussians(n, seed):
    """n points of the 8-gaussians set: modes on a circle of radius 2."""
    rng = np.random.default_rng(seed)
    angles = rng.integers(0, 8, n) * (np.pi / 4)
    centres = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return (centres + 0.2 * rng.standard_normal((n, 2))).astype(np.float32)


def setUpModule():
    global TMP, SERVE, CLIENT, TRAIN_DATA, TEST_DATA, TRAINED, EVENTS
    TMP = tempfile.TemporaryDirectory(prefix="jkoflow_python_test_")
    # A small request budget, so that a big Sample is RESOURCE_EXHAUSTED.
    SERVE = Server(SERVER, os.path.join(TMP.name, "server"),
                   flags=["--max_request_bytes=8388608"])
    CLIENT = jkoflow.Client(SERVE.address, timeout=60)
    TRAIN_DATA = eight_gaussians(2000, seed=1)
    TEST_DATA = eight_gaussians(300, seed=2)
    EVENTS = []
    TRAINED = CLIENT.train("tiny", data=TRAIN_DATA, **TINY).wait(
        progress=EVENTS.append, timeout=120)


def tearDownModule():
    CLIENT.close()
    code = SERVE.stop()
    TMP.cleanup()
    if code != 0:
        raise AssertionError(f"jkoflow-server exited with {code}")


class PlotTest(unittest.TestCase):

    def test_model_samples_have_axes_and_a_title_naming_the_model(self):
        import jkoflow.plot
        fig = jkoflow.plot.model_samples(CLIENT, "tiny", 3000, seed=1,
                                         version=1)
        ax = fig.axes[0]
        self.assertEqual(ax.get_xlabel(), "x1")
        self.assertEqual(ax.get_ylabel(), "x2")
        self.assertIn("tiny v1", ax.get_title())
        self.assertIn("n = 3,000", ax.get_title())
        self.assertGreater(len(ax.get_xticklabels()), 1)
        path = os.path.join(TMP.name, "samples.png")
        fig.savefig(path)
        with open(path, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_image_shaped_points_make_a_grid(self):
        import jkoflow.plot
        x = np.random.default_rng(0).random((10, 64)).astype(np.float32)
        fig = jkoflow.plot.samples(x, title="digits", item_shape=(8, 8))
        self.assertEqual(len(fig.axes), 10)
        self.assertEqual(fig.axes[0].get_images()[0].get_array().shape,
                         (8, 8))
        self.assertIn("10 images of 8×8", fig._suptitle.get_text())

    def test_report_draws_every_block(self):
        import jkoflow.plot
        info = CLIENT.info("tiny", version=1)
        fig = jkoflow.plot.report(info)
        self.assertEqual(len(fig.axes), 6)
        loss = fig.axes[0].get_lines()[0]
        self.assertEqual(list(loss.get_xdata()), [1, 2])
        self.assertEqual(list(loss.get_ydata()),
                         [b.stats.loss for b in info.blocks])
        self.assertIn("tiny v1: 2 blocks, d = 2", fig._suptitle.get_text())
        decrease = fig.axes[4].get_lines()[0]  # axes in row order
        self.assertEqual(list(decrease.get_ydata()),
                         [b.stats.kl_decrease for b in info.blocks])
        with self.assertRaises(ValueError):
            jkoflow.plot.samples(np.zeros(5))


class TrainingTest(unittest.TestCase):

    def test_wait_returns_the_succeeded_job_after_its_events(self):
        self.assertEqual(TRAINED.state_name, "SUCCEEDED")
        self.assertEqual(TRAINED.model_name, "tiny")
        self.assertEqual(TRAINED.model_version, 1)
        self.assertGreater(len(EVENTS), 0)
        self.assertTrue(jkoflow.is_terminal(EVENTS[-1].job.state))
        info = CLIENT.info("tiny", version=1)
        self.assertEqual(info.dim, 2)
        self.assertEqual(len(info.blocks), 2)
        self.assertEqual(info.blocks[0].width, 16)
        self.assertIn("tiny", [m.name for m in CLIENT.models()])

    def test_wait_on_a_log_writes_one_plain_line_per_block(self):
        log = io.StringIO()  # not a terminal: no bar, no carriage returns
        job = CLIENT.train("lines", data=TRAIN_DATA, **TINY).wait(
            progress=log, timeout=120)
        lines = log.getvalue().splitlines()
        self.assertNotIn("\r", log.getvalue())
        self.assertTrue(log.getvalue().endswith("\n"))
        block_lines = [l for l in lines if " done, loss " in l]
        # Events come at most 10 a second: a block may finish unseen, never
        # twice.
        self.assertGreaterEqual(len(block_lines), 1, lines)
        self.assertLessEqual(len(block_lines), job.blocks_done, lines)
        self.assertIn(f"block {job.blocks_done}/{job.blocks_total} done",
                      block_lines[-1])
        self.assertEqual(lines[-1], f"job {job.id} SUCCEEDED: "
                         f"{job.blocks_done} blocks, model lines v1")

    def test_wait_on_a_terminal_redraws_one_line(self):
        class Terminal(io.StringIO):
            def isatty(self):
                return True
        screen = Terminal()
        CLIENT.train("bar", data=TRAIN_DATA, **TINY).wait(progress=screen,
                                                          timeout=120)
        self.assertIn("\r", screen.getvalue())
        self.assertTrue(screen.getvalue().endswith("\n"))
        self.assertEqual(screen.getvalue().count("\n"), 1)

    def test_upload_from_a_generator_of_arrays_in_small_messages(self):
        # 2000 points of 8 bytes in messages of 1 KiB of points: 16 chunks.
        small = jkoflow.Client(SERVE.address, timeout=60,
                               max_message_bytes=4096)
        arrays = (TRAIN_DATA[i:i + 500] for i in range(0, 2000, 500))
        job = small.train("uploaded", data=arrays, blocks=1, iterations=5,
                          batch_size=100, width=8, depth=1,
                          diagnostic_points=0).wait(timeout=120)
        self.assertEqual(job.state_name, "SUCCEEDED")
        self.assertEqual(small.info("uploaded").dim, 2)
        small.close()

    def test_cancel_ends_the_job_cancelled(self):
        job = CLIENT.train("cancelled", generator=jkoflow.Generator(
            "8gaussians", n=2000, seed=1), iterations=10_000_000,
            batch_size=100, width=8, depth=1, diagnostic_points=0)
        job.cancel()
        with self.assertRaises(jkoflow.JobCancelled) as caught:
            job.wait(timeout=60)
        self.assertEqual(caught.exception.job.id, job.id)
        self.assertEqual(job.state_name, "CANCELLED")
        self.assertEqual(CLIENT.job(job.id).state_name, "CANCELLED")
        self.assertIn(job.id, [j.id for j in CLIENT.jobs()])

    def test_train_block_writes_a_new_version(self):
        job = CLIENT.train_block("tiny", version=1, iterations=5).wait(
            timeout=120)
        self.assertEqual(job.model_version, 2)
        self.assertEqual(len(CLIENT.info("tiny", version=2).blocks), 3)

    def test_unknown_hyperparameter_is_a_type_error(self):
        with self.assertRaisesRegex(TypeError, "iteration"):
            CLIENT.train("never", data=TRAIN_DATA, iteration=3)
        with self.assertRaisesRegex(TypeError, "bogus"):
            CLIENT.train_block("tiny", bogus=1)


class InferenceTest(unittest.TestCase):

    def test_same_seed_same_points(self):
        a = CLIENT.sample("tiny", 500, seed=7, version=1)
        b = CLIENT.sample("tiny", 500, seed=7, version=1)
        c = CLIENT.sample("tiny", 500, seed=8, version=1)
        self.assertEqual(a.shape, (500, 2))
        self.assertEqual(a.dtype, np.float32)
        np.testing.assert_array_equal(a, b)
        self.assertFalse(np.array_equal(a, c))
        self.assertTrue(np.all(np.isfinite(a)))

    def test_small_chunks_assemble_to_the_same_sample(self):
        whole = CLIENT.sample("tiny", 500, seed=7, version=1)
        chunked = CLIENT.sample("tiny", 500, seed=7, version=1,
                                chunk_points=64)
        np.testing.assert_array_equal(whole, chunked)

    def test_trajectory_ends_at_the_sample(self):
        stages = CLIENT.sample("tiny", 100, seed=5, version=1,
                               trajectory=True)
        self.assertEqual(stages.shape, (3, 100, 2))  # noise + 2 blocks
        sample = CLIENT.sample("tiny", 100, seed=5, version=1)
        # Tolerance: the stages are the same computation's float32 values.
        np.testing.assert_allclose(stages[-1], sample, rtol=0, atol=1e-5)

    def test_log_prob_matches_the_cli(self):
        logp = CLIENT.log_prob(TEST_DATA, "tiny", version=1)
        self.assertEqual(logp.shape, (300,))
        self.assertEqual(logp.dtype, np.float64)
        points = os.path.join(TMP.name, "points.npy")
        values = os.path.join(TMP.name, "logp.npy")
        np.save(points, TEST_DATA)
        subprocess.run(
            [CLI, f"--server={SERVE.address}", "loglik", "--model=tiny",
             "--version=1", f"--in={points}", f"--out={values}"],
            check=True, stdout=subprocess.DEVNULL, timeout=60)
        cli = np.load(values).reshape(-1)
        # Both send the same float32 points in one request to an idle
        # server; tolerance 1e-9 nats only for the CSV/npy round trip.
        np.testing.assert_allclose(logp, cli, rtol=0, atol=1e-9)

    def test_log_prob_split_over_messages_keeps_the_order(self):
        whole = CLIENT.log_prob(TEST_DATA, "tiny", version=1)
        # 4096-byte messages carry 128 points of 8 bytes: 3 requests.
        small = jkoflow.Client(SERVE.address, timeout=60,
                               max_message_bytes=4096)
        split = small.log_prob(TEST_DATA, "tiny", version=1)
        small.close()
        # Tolerance: other batch sizes may round float32 differently.
        np.testing.assert_allclose(split, whole, rtol=0, atol=1e-4)

    def test_hutchinson_is_seeded(self):
        a = CLIENT.log_prob(TEST_DATA[:50], "tiny", method="hutchinson",
                            probes=4, seed=9, version=1)
        b = CLIENT.log_prob(TEST_DATA[:50], "tiny", method="hutchinson",
                            probes=4, seed=9, version=1)
        np.testing.assert_array_equal(a, b)

    def test_hutchinson_states_its_standard_error(self):
        exact = CLIENT.log_prob(TEST_DATA[:200], "tiny", version=1)
        value, error = CLIENT.log_prob(TEST_DATA[:200], "tiny",
                                       method="hutchinson", probes=8, seed=3,
                                       version=1, std_error=True)
        plain = CLIENT.log_prob(TEST_DATA[:200], "tiny", method="hutchinson",
                                probes=8, seed=3, version=1)
        np.testing.assert_array_equal(value, plain)
        self.assertEqual(error.shape, (200,))
        self.assertTrue(np.all(error > 0))
        # The mean's error: the probes of different points are independent.
        mean_error = np.sqrt(np.sum(error ** 2)) / 200
        self.assertLess(abs(value.mean() - exact.mean()), 4 * mean_error)
        with self.assertRaises(jkoflow.InvalidArgument):
            CLIENT.log_prob(TEST_DATA[:5], "tiny", std_error=True)
        with self.assertRaises(jkoflow.InvalidArgument):
            CLIENT.log_prob(TEST_DATA[:5], "tiny", method="hutchinson",
                            probes=1, std_error=True)

    def test_async_client_matches_the_sync_one(self):
        async def run():
            async with jkoflow.aio.Client(SERVE.address, timeout=60) as aio:
                sample, logp, models = await asyncio.gather(
                    aio.sample("tiny", 200, seed=11, version=1),
                    aio.log_prob(TEST_DATA, "tiny", version=1),
                    aio.models())
                info = await aio.info("tiny", version=1)
                with self.assertRaises(jkoflow.NotFound):
                    await aio.sample("no-such-model", 10)
                return sample, logp, models, info

        sample, logp, models, info = asyncio.run(run())
        # Concurrent calls may be batched together: same points within
        # float32 rounding (SampleRequest.seed).
        np.testing.assert_allclose(
            sample, CLIENT.sample("tiny", 200, seed=11, version=1),
            rtol=0, atol=1e-4)
        np.testing.assert_allclose(
            logp, CLIENT.log_prob(TEST_DATA, "tiny", version=1),
            rtol=0, atol=1e-4)
        self.assertIn("tiny", [m.name for m in models])
        self.assertEqual(info.dim, 2)


def write_idx_images(path, images):
    """Writes uint8 images [n, h, w] as a gzip'd IDX file, as the MNIST
    family ships them."""
    import gzip
    import struct
    n, h, w = images.shape
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">BBBBIII", 0, 0, 0x08, 3, n, h, w))
        f.write(images.astype(np.uint8).tobytes())


class ImageModelTest(unittest.TestCase):
    """An image-shaped model of integer data, trained from an IDX file."""

    @classmethod
    def setUpClass(cls):
        rng = np.random.default_rng(4)
        # 4 x 4 "images" of integers 0..15: a bright square of random size.
        size = rng.integers(1, 4, 1500)
        images = np.zeros((1500, 4, 4))
        for i, s in enumerate(size):
            images[i, :s, :s] = 12
        images = np.clip(images + rng.integers(0, 4, images.shape), 0, 15)
        cls.images = images
        data_dir = os.path.join(TMP.name, "server", "data")
        os.makedirs(data_dir, exist_ok=True)
        write_idx_images(os.path.join(data_dir, "squares-idx3-ubyte.gz"),
                         images[:1200])
        cls.job = CLIENT.train("squares", data_file="squares-idx3-ubyte.gz",
                               blocks=1, iterations=60, batch_size=200,
                               width=16, depth=2, diagnostic_points=0,
                               seed=1).wait(timeout=120)

    def test_the_model_knows_its_shape_and_transform(self):
        self.assertEqual(self.job.state_name, "SUCCEEDED")
        info = CLIENT.info("squares")
        self.assertEqual(list(info.item_shape), [4, 4])
        self.assertTrue(info.integer)
        self.assertIn("dequantize", info.transform)
        self.assertIn("whiten", info.transform)

    def test_samples_come_back_as_integer_images(self):
        images = CLIENT.sample("squares", 50, seed=2, as_images=True)
        self.assertEqual(images.shape, (50, 4, 4))
        np.testing.assert_array_equal(images, np.round(images))
        # Pixels 0 … 15 in training, and one level of margin above.
        self.assertGreaterEqual(images.min(), 0)
        self.assertLessEqual(images.max(), 16)
        flat = CLIENT.sample("squares", 50, seed=2)
        np.testing.assert_array_equal(images.reshape(50, 16), flat)

        async def run():
            async with jkoflow.aio.Client(SERVE.address, timeout=60) as a:
                return await a.sample("squares", 50, seed=2, as_images=True)
        np.testing.assert_array_equal(asyncio.run(run()), images)

    def test_bits_per_dim_on_the_data_scale(self):
        test = self.images[1200:].reshape(300, 16).astype(np.float32)
        bits = CLIENT.bits_per_dim(test, "squares", seed=1)
        log_prob = CLIENT.log_prob(test, "squares", seed=1)
        self.assertAlmostEqual(bits, -log_prob.mean() / (16 * np.log(2)),
                               places=6)
        # A bound on log P(x) of 16-level pixels: between 0 and 4 bits.
        self.assertGreater(bits, 0)
        self.assertLess(bits, 4)
        with self.assertRaises(jkoflow.FailedPrecondition):
            CLIENT.bits_per_dim(TEST_DATA, "tiny")


class ErrorTest(unittest.TestCase):

    def assertRaisesCode(self, cls, code, call):
        with self.assertRaises(cls) as caught:
            call()
        error = caught.exception
        self.assertIsInstance(error, jkoflow.JkoflowError)
        self.assertEqual(error.code, code)
        self.assertTrue(error.message)
        self.assertTrue(str(error).startswith(code.name + ": "))
        return error

    def test_unknown_model_is_not_found(self):
        error = self.assertRaisesCode(jkoflow.NotFound,
                                      grpc.StatusCode.NOT_FOUND,
                                      lambda: CLIENT.info("no-such-model"))
        self.assertIn("no-such-model", error.message)
        self.assertRaisesCode(
            jkoflow.NotFound, grpc.StatusCode.NOT_FOUND,
            lambda: CLIENT.sample("no-such-model", 10))
        self.assertRaisesCode(
            jkoflow.NotFound, grpc.StatusCode.NOT_FOUND,
            lambda: CLIENT.job("no-such-job"))

    def test_bad_shape_is_invalid_argument(self):
        # Three columns for a 2-D model: the server says so.
        self.assertRaisesCode(
            jkoflow.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT,
            lambda: CLIENT.log_prob(np.zeros((4, 3)), "tiny"))
        self.assertRaisesCode(
            jkoflow.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT,
            lambda: CLIENT.sample("tiny", 0))
        # Not a matrix: refused before anything is sent.
        self.assertRaisesCode(
            jkoflow.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT,
            lambda: CLIENT.log_prob(np.zeros(4), "tiny"))
        self.assertRaisesCode(
            jkoflow.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT,
            lambda: CLIENT.train("bad", data=(a for a in
                                              [TRAIN_DATA, np.zeros((5, 3))])))
        # The call was cancelled: no job started on part of the data.
        self.assertNotIn("bad", [j.model_name for j in CLIENT.jobs()])

    def test_non_finite_training_data_is_invalid_argument(self):
        data = TRAIN_DATA.copy()
        data[17, 1] = np.nan
        self.assertRaisesCode(
            jkoflow.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT,
            lambda: CLIENT.train("nan", data=data, iterations=5))

    def test_over_the_request_budget_is_resource_exhausted(self):
        self.assertRaisesCode(
            jkoflow.ResourceExhausted, grpc.StatusCode.RESOURCE_EXHAUSTED,
            lambda: CLIENT.sample("tiny", 1_000_000))

    def test_unloaded_model_is_failed_precondition(self):
        CLIENT.unload_model("tiny", version=1)
        try:
            self.assertRaisesCode(
                jkoflow.FailedPrecondition,
                grpc.StatusCode.FAILED_PRECONDITION,
                lambda: CLIENT.sample("tiny", 10, version=1))
        finally:
            CLIENT.load_model("tiny", version=1)
        self.assertEqual(CLIENT.sample("tiny", 10, version=1).shape, (10, 2))

    def test_deadline_exceeded(self):
        impatient = jkoflow.Client(SERVE.address, timeout=1e-6)
        self.assertRaisesCode(
            jkoflow.DeadlineExceeded, grpc.StatusCode.DEADLINE_EXCEEDED,
            lambda: impatient.sample("tiny", 1000))
        impatient.close()

    def test_no_server_is_unavailable(self):
        with socket_closed_port() as port:
            nobody = jkoflow.Client(f"127.0.0.1:{port}", timeout=10)
            self.assertRaisesCode(jkoflow.Unavailable,
                                  grpc.StatusCode.UNAVAILABLE, nobody.models)
            nobody.close()

    def test_tokens_unauthenticated_and_permission_denied(self):
        directory = os.path.join(TMP.name, "auth")
        os.makedirs(directory)
        tokens = os.path.join(directory, "tokens")
        with open(os.open(tokens, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write("reader-token read\n")
        server = Server(SERVER, directory, flags=[f"--auth_token_file={tokens}"])
        try:
            anonymous = jkoflow.Client(server.address, timeout=30)
            self.assertRaisesCode(jkoflow.Unauthenticated,
                                  grpc.StatusCode.UNAUTHENTICATED,
                                  anonymous.models)
            reader = jkoflow.Client(server.address, token="reader-token",
                                    timeout=30)
            self.assertEqual(reader.models(), [])
            self.assertRaisesCode(
                jkoflow.PermissionDenied, grpc.StatusCode.PERMISSION_DENIED,
                lambda: reader.train("m", generator="8gaussians"))
            anonymous.close()
            reader.close()
        finally:
            self.assertEqual(server.stop(), 0)


class TlsTest(unittest.TestCase):
    """Mutual TLS with a throwaway CA made by the openssl command (installed
    by deploy/install-deps.sh; the test fails without it)."""

    def test_mutual_tls_with_a_token(self):
        directory = os.path.join(TMP.name, "tls")
        make_ca_server_and_client(directory)
        tokens = os.path.join(directory, "tokens")
        with open(os.open(tokens, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write("reader-token read\n")
        path = lambda name: os.path.join(directory, name)  # noqa: E731
        server = Server(SERVER, directory, flags=[
            f"--tls_cert={path('server.pem')}",
            f"--tls_key={path('server.key')}",
            f"--tls_client_ca={path('ca.pem')}",
            f"--auth_token_file={tokens}"])
        try:
            with jkoflow.Client(server.address, token="reader-token",
                                timeout=30, tls=jkoflow.Tls(
                                    ca_file=path("ca.pem"),
                                    cert_file=path("client.pem"),
                                    key_file=path("client.key"))) as client:
                self.assertEqual(client.models(), [])
            # Without a client certificate the handshake fails.
            with jkoflow.Client(server.address, token="reader-token",
                                timeout=30,
                                tls={"ca_file": path("ca.pem")}) as client:
                with self.assertRaises(jkoflow.Unavailable):
                    client.models()
            with self.assertRaises(jkoflow.InvalidArgument):
                jkoflow.Client(server.address, tls={
                    "ca_file": path("ca.pem"), "cert_file": path("client.pem")})
        finally:
            self.assertEqual(server.stop(), 0)


class socket_closed_port:
    """A loopback port that was free a moment ago and is not listened on."""

    def __enter__(self):
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def __exit__(self, *exc):
        return False


def main():
    global SERVER, CLI
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", required=True,
                        help="the jkoflow-server binary")
    parser.add_argument("--cli", required=True, help="the jkoflow CLI binary")
    args, rest = parser.parse_known_args()
    SERVER, CLI = args.server, args.cli
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
