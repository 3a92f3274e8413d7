"""Tests of ExportModel: a model trained on a real jkoflow-server, exported
as TorchScript and opened with Debian's python3-torch.

Usage: export_test.py --server PATH/jkoflow-server --cli PATH/jkoflow
[unittest arguments] with <build>/client/python on PYTHONPATH (ctest, label
`python`). One server on a free loopback port trains three tiny models
(real-valued 2-D points; integer points, which get the marginal copula;
integer points in 70 columns, which get the projection to 64), and each
export must give the server's log-likelihoods within 1e-4 nats, samples of
the same distribution, and a map to noise that inverse() undoes.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch

import jkoflow
from server_process import TINY, Server

SERVER = None
CLI = None


def integer_points(rng, n, dim):
    return np.clip(np.round(rng.standard_normal((n, dim)) * 3 + 8), 0, 16)


def setUpModule():
    global TMP, SERVE, CLIENT, DATA
    TMP = tempfile.TemporaryDirectory(prefix="jkoflow_export_test_")
    SERVE = Server(SERVER, os.path.join(TMP.name, "server"))
    CLIENT = jkoflow.Client(SERVE.address, timeout=120)
    rng = np.random.default_rng(11)
    real = rng.standard_normal((1500, 2)) * [0.7, 1.3] + [1.0, -0.5]
    DATA = {"real": real.astype(np.float32),
            "counts": integer_points(rng, 1500, 6).astype(np.float32),
            "wide": integer_points(rng, 800, 70).astype(np.float32)}
    for name, data in DATA.items():
        CLIENT.train(name, data=data, **TINY).wait(timeout=300)


def tearDownModule():
    CLIENT.close()
    code = SERVE.stop()
    TMP.cleanup()
    if code != 0:
        raise AssertionError(f"jkoflow-server exited with {code}")


def exported(name):
    path = os.path.join(TMP.name, f"{name}.pt")
    data = CLIENT.export_model(name, path)
    with open(path, "rb") as f:
        assert f.read() == data
    return torch.jit.load(path)


class ExportTest(unittest.TestCase):

    def check_log_prob(self, name):
        module = exported(name)
        x = DATA[name][:300]
        served = CLIENT.log_prob(x, name)
        mine = module.log_prob(torch.from_numpy(x)).numpy()
        self.assertEqual(mine.dtype, np.float64)
        gap = np.max(np.abs(mine - served))
        print(f"{name}: max |log_prob - served| = {gap:.3g} nats "
              f"(values around {np.mean(served):.2f})", file=sys.stderr)
        self.assertLess(gap, 1e-4)
        return module

    def test_real_valued_model_matches_the_server(self):
        module = self.check_log_prob("real")
        self.assertEqual(module.dim, 2)
        self.assertEqual(module.model_name, "real")
        self.assertEqual(module.model_version, 1)
        x = torch.from_numpy(DATA["real"][:200])
        back = module.inverse(module.forward(x))
        self.assertLess(float((back - x).abs().max()), 1e-3)

    def test_integer_models_match_the_server(self):
        self.check_log_prob("counts")
        module = self.check_log_prob("wide")
        self.assertEqual(module.flow_dim, 64)
        self.assertTrue(module.integer)

    def test_samples_match_the_servers_in_distribution(self):
        module = exported("real")
        mine = module.sample(20000, 3).double().numpy()
        served = CLIENT.sample("real", 20000, seed=3).astype(np.float64)
        self.assertEqual(mine.shape, (20000, 2))
        # Independent draws: means agree to a few standard errors.
        spread = served.std(0) / np.sqrt(20000)
        self.assertTrue(np.all(np.abs(mine.mean(0) - served.mean(0))
                               < 5 * np.sqrt(2) * spread))
        np.testing.assert_allclose(np.cov(mine.T), np.cov(served.T),
                                   rtol=0.06, atol=0.02)
        self.assertTrue(torch.equal(module.sample(50, 3), module.sample(50, 3)))
        # Integer data: integers of the model's levels (the data's range
        # and a margin), with the server's means.
        counts = exported("counts").sample(4000, 1).double().numpy()
        served = CLIENT.sample("counts", 4000, seed=1).astype(np.float64)
        self.assertTrue(np.all(counts == np.round(counts)))
        self.assertGreaterEqual(counts.min(), 0)
        self.assertLessEqual(counts.max(), served.max() + 2)
        np.testing.assert_allclose(counts.mean(0), served.mean(0), atol=0.3)

    def test_bad_calls(self):
        module = exported("real")
        with self.assertRaisesRegex(Exception, r"expected points of shape"):
            module.log_prob(torch.zeros(3, 5))
        with self.assertRaises(jkoflow.NotFound):
            CLIENT.export_model("no-such-model")

    def test_cli_writes_the_file(self):
        path = os.path.join(TMP.name, "cli.pt")
        done = subprocess.run([CLI, f"--server={SERVE.address}", "export",
                               "real", f"--out={path}"],
                              capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("as TorchScript", done.stdout)
        x = torch.from_numpy(DATA["real"][:10])
        self.assertTrue(torch.equal(torch.jit.load(path).log_prob(x),
                                    exported("real").log_prob(x)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--cli", required=True)
    args, rest = parser.parse_known_args()
    SERVER, CLI = args.server, args.cli
    unittest.main(argv=[sys.argv[0], *rest])
