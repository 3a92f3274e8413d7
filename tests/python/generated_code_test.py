"""The committed gRPC code of jkoflow.v1 matches proto/.

client/python/jkoflow/v1/*_pb2*.py ships in the package (pip installs it
without protoc); the build generates the same modules again from proto/
into a directory of its own. This test compares the two byte for byte and
fails, naming the file, when proto/ changed without
client/python/regenerate.sh.

    generated_code_test.py --committed client/python/jkoflow/v1 \
        --regenerated build/client/python/regenerated/jkoflow/v1
"""

import argparse
import os
import sys
import unittest

ARGS = None
MODULES = ["flow_pb2.py", "flow_pb2_grpc.py", "training_pb2.py",
           "training_pb2_grpc.py"]


class GeneratedCodeTest(unittest.TestCase):

    def test_committed_modules_match_proto(self):
        for name in MODULES:
            with self.subTest(module=name):
                with open(os.path.join(ARGS.regenerated, name), "rb") as f:
                    fresh = f.read()
                with open(os.path.join(ARGS.committed, name), "rb") as f:
                    committed = f.read()
                self.assertEqual(
                    committed, fresh,
                    f"{name} does not match proto/: run "
                    "client/python/regenerate.sh and commit the result")

    def test_no_other_generated_modules(self):
        committed = sorted(n for n in os.listdir(ARGS.committed)
                           if n.endswith(".py") and n != "__init__.py")
        self.assertEqual(committed, sorted(MODULES))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--committed", required=True)
    parser.add_argument("--regenerated", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest)
