"""Replicas that share one model store, behind gRPC's client-side load
balancing (issue "beyond one machine", replicas).

Usage: replica_test.py --server PATH/jkoflow-server [unittest arguments]
with <build>/client/python on PYTHONPATH (ctest, label `distributed`). Two
servers on loopback serve one model store, each with --model_poll_s=1. A
model trained through one appears on the other within the poll interval;
a client given both addresses (`ipv4:` target) with the round_robin policy
spreads 100 requests over both, as each server's jkoflow_requests_total
shows; a version removed from the store disappears from both.
"""

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
import unittest
import urllib.request

import numpy as np

import jkoflow
from server_process import Server

SERVER = None
TINY = dict(blocks=1, iterations=20, batch_size=200, width=16, depth=2,
            steps=2, diagnostic_points=0, seed=9)


def requests_total(server, method):
    """The server's jkoflow_requests_total{method=..., code="OK"}."""
    with urllib.request.urlopen(
            f"http://{server.metrics_address}/metrics", timeout=10) as r:
        text = r.read().decode()
    total = 0.0
    for m in re.finditer(r'^jkoflow_requests_total\{([^}]*)\} (\S+)$', text,
                         re.M):
        if (f'method="{method}"' in m.group(1) and 'code="OK"' in m.group(1)):
            total += float(m.group(2))
    return total


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


class ReplicaTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="jkoflow_replica_test_")
        self.store = os.path.join(self.tmp.name, "store")
        os.makedirs(self.store)
        self.servers = [
            Server(SERVER, os.path.join(self.tmp.name, f"replica{i}"),
                   flags=["--model_poll_s=1"], model_dir=self.store)
            for i in range(2)]

    def tearDown(self):
        codes = [server.stop() for server in self.servers]
        self.tmp.cleanup()
        self.assertEqual(codes, [0, 0])

    def test_published_version_reaches_the_other_replica(self):
        first, second = (jkoflow.Client(s.address, timeout=60)
                         for s in self.servers)
        data = np.random.default_rng(1).standard_normal((600, 2))
        started = time.monotonic()
        first.train("shared", data=data.astype(np.float32), **TINY).wait(
            timeout=120)
        trained = time.monotonic()

        def served_by_second():
            return any(m.name == "shared" for m in second.models())
        # Poll interval 1 s, plus a load: well within 5 s.
        self.assertTrue(wait_for(served_by_second, timeout=5),
                        "the second replica did not pick up the version")
        print(f"training took {trained - started:.1f} s; the other replica "
              f"served it {time.monotonic() - trained:.1f} s later",
              file=sys.stderr)
        np.testing.assert_array_equal(first.sample("shared", 50, seed=3),
                                      second.sample("shared", 50, seed=3))

        # One client, both addresses, round_robin: each replica gets a share.
        addresses = ",".join(s.address for s in self.servers)
        before = [requests_total(s, "ListModels") for s in self.servers]
        with jkoflow.Client(f"ipv4:{addresses}", timeout=60,
                            lb="round_robin") as both:
            for _ in range(100):
                both.models()
        shares = [requests_total(s, "ListModels") - b
                  for s, b in zip(self.servers, before)]
        print(f"round_robin shares of 100 requests: {shares}",
              file=sys.stderr)
        self.assertEqual(sum(shares), 100)
        self.assertGreaterEqual(min(shares), 20, shares)

        # A version removed from the store leaves both replicas.
        shutil.rmtree(os.path.join(self.store, "shared"))
        self.assertTrue(wait_for(
            lambda: not served_by_second() and
            all(m.name != "shared" for m in first.models()), timeout=5))
        first.close()
        second.close()


def main():
    global SERVER
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", required=True,
                        help="the jkoflow-server binary")
    args, rest = parser.parse_known_args()
    SERVER = args.server
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
