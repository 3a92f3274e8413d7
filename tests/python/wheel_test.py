"""The Python client as a user installs it: a wheel in a fresh venv.

Builds a wheel from a copy of client/python with Debian's pip, setuptools
and wheel (no network, no build isolation, no protoc), installs it into a
new `python3 -m venv --system-site-packages` (grpcio, protobuf and numpy
come from Debian), checks that `import jkoflow` resolves inside the venv
with no build directory on the path, and runs client_test.py — the client
tests against a real server — with the venv's interpreter.

    wheel_test.py --source client/python --version 0.1.0 \
        --server build/server/jkoflow-server --cli build/client/jkoflow
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ARGS = None
HERE = os.path.dirname(os.path.abspath(__file__))


def clean_env():
    """The environment without PYTHONPATH: nothing but the venv provides
    jkoflow."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["PIP_NO_INDEX"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def run(cmd, cwd, **kwargs):
    result = subprocess.run(cmd, cwd=cwd, env=clean_env(), text=True,
                            capture_output=True, **kwargs)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {result.returncode}\n"
                             f"{result.stdout}\n{result.stderr}")
    return result.stdout


class WheelTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="jkoflow_wheel_")
        source = os.path.join(cls.dir, "src")
        shutil.copytree(ARGS.source, source,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc",
                                                      "build", "*.egg-info"))
        wheels = os.path.join(cls.dir, "wheels")
        python = "/usr/bin/python3"
        run([python, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
             "--no-index", "-w", wheels, source], cwd=cls.dir)
        found = glob.glob(os.path.join(wheels, "jkoflow-*.whl"))
        assert len(found) == 1, found
        cls.wheel = found[0]
        print(f"wheel {os.path.basename(cls.wheel)}: "
              f"{os.path.getsize(cls.wheel)} bytes", flush=True)
        venv = os.path.join(cls.dir, "venv")
        run([python, "-m", "venv", "--system-site-packages", venv],
            cwd=cls.dir)
        cls.python = os.path.join(venv, "bin", "python")
        run([cls.python, "-m", "pip", "install", "--no-deps", "--no-index",
             cls.wheel], cwd=cls.dir)
        cls.venv = venv

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_wheel_is_named_for_the_project_version(self):
        self.assertTrue(os.path.basename(self.wheel).startswith(
            f"jkoflow-{ARGS.version}-py3-none-any"), self.wheel)

    def test_import_resolves_inside_the_venv(self):
        out = run([self.python, "-c",
                   "import jkoflow, jkoflow.v1.training_pb2_grpc, "
                   "jkoflow.aio; print(jkoflow.__file__)"], cwd=self.dir)
        self.assertTrue(out.strip().startswith(self.venv), out)

    def test_client_tests_pass_from_the_installed_package(self):
        # Not run from the source tree: only the venv has jkoflow.
        run([self.python, os.path.join(HERE, "client_test.py"), "--server",
             ARGS.server, "--cli", ARGS.cli], cwd=self.dir, timeout=600)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--cli", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest)
