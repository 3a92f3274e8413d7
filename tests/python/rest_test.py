"""The Open Inference Protocol over REST/JSON (KServe v2) of a real
jkoflow-server started with --http_listen, through Python's urllib and
curl.

Usage: rest_test.py --server PATH/jkoflow-server [unittest arguments]
with <build>/client/python on PYTHONPATH (ctest, label `python`). One
server trains a tiny model; every route is called; infer answers are
compared bit for bit with the gRPC ModelInfer of the same request; bad
JSON, wrong shapes, unknown models and routes, a body over
--http_max_body_bytes and (on a second server with tokens) a missing or
unknown token get their HTTP status and a JSON error. Prints the p50
latency of a 1,000-point log-likelihood over REST and over gRPC.
"""

import argparse
import http.client
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import grpc
import numpy as np

import jkoflow
from inference import grpc_service_pb2 as pb
from inference import grpc_service_pb2_grpc as pb_grpc
from certificates import make_ca_server_and_client
from server_process import TINY, Server, write_token_file

SERVER = None
BODY_LIMIT = 200_000


def setUpModule():
    global TMP, SERVE, BASE, CLIENT, CHANNEL, STUB, POINTS
    TMP = tempfile.TemporaryDirectory(prefix="jkoflow_rest_test_")
    SERVE = Server(SERVER, os.path.join(TMP.name, "server"),
                   flags=["--http_listen=127.0.0.1:0",
                          f"--http_max_body_bytes={BODY_LIMIT}"])
    BASE = f"http://{SERVE.http_address}"
    CLIENT = jkoflow.Client(SERVE.address, timeout=60)
    rng = np.random.default_rng(4)
    data = rng.standard_normal((1500, 2)).astype(np.float32) * 0.7 + 1.0
    CLIENT.train("rest", data=data, **TINY).wait(progress=None, timeout=120)
    CHANNEL = grpc.insecure_channel(SERVE.address)
    STUB = pb_grpc.GRPCInferenceServiceStub(CHANNEL)
    POINTS = rng.standard_normal((1000, 2)).astype(np.float32)


def tearDownModule():
    CHANNEL.close()
    CLIENT.close()
    code = SERVE.stop()
    TMP.cleanup()
    if code != 0:
        raise AssertionError(f"jkoflow-server exited with {code}")


def call(method, path, body=None, base=None, headers=None):
    """(HTTP status, parsed JSON body) of one request."""
    data = body if isinstance(body, (bytes, type(None))) else \
        json.dumps(body).encode()
    request = urllib.request.Request((base or BASE) + path, data=data,
                                     method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def points_body(x, **parameters):
    body = {"id": "r1", "inputs": [{"name": "x", "datatype": "FP32",
                                    "shape": list(x.shape),
                                    "data": x.tolist()}]}
    if parameters:
        body["parameters"] = parameters
    return body


def grpc_points(x, **parameters):
    request = pb.ModelInferRequest(model_name="rest", id="r1")
    tensor = request.inputs.add(name="x", datatype="FP32", shape=x.shape)
    tensor.contents.fp32_contents.extend(x.reshape(-1).tolist())
    for key, value in parameters.items():
        if isinstance(value, str):
            request.parameters[key].string_param = value
        else:
            request.parameters[key].int64_param = value
    return STUB.ModelInfer(request, timeout=60)


class RoutesTest(unittest.TestCase):

    def test_health_and_server_metadata(self):
        self.assertEqual(call("GET", "/v2/health/live"), (200, {"live": True}))
        self.assertEqual(call("GET", "/v2/health/ready"),
                         (200, {"ready": True}))
        status, body = call("GET", "/v2")
        self.assertEqual(status, 200)
        self.assertEqual(body["name"], "jkoflow")

    def test_model_metadata_and_ready(self):
        status, body = call("GET", "/v2/models/rest")
        self.assertEqual(status, 200)
        self.assertEqual(body["name"], "rest")
        self.assertEqual(body["versions"], ["1"])
        self.assertIn({"name": "x", "datatype": "FP32", "shape": [-1, 2]},
                      body["inputs"])
        self.assertEqual(call("GET", "/v2/models/rest/versions/1")[0], 200)
        self.assertEqual(call("GET", "/v2/models/rest/ready"),
                         (200, {"ready": True}))
        self.assertEqual(call("GET", "/v2/models/rest/versions/1/ready"),
                         (200, {"ready": True}))

    def test_log_prob_is_bit_equal_to_grpc(self):
        for parameters in ({}, {"method": "hutchinson", "probes": 4,
                                "seed": 9}):
            status, body = call("POST", "/v2/models/rest/infer",
                                points_body(POINTS, **parameters))
            self.assertEqual(status, 200, body)
            self.assertEqual(body["id"], "r1")
            self.assertEqual(body["model_version"], "1")
            (output,) = body["outputs"]
            self.assertEqual(output["name"], "log_prob")
            self.assertEqual(output["shape"], [1000])
            expected = grpc_points(POINTS, **parameters).outputs[0]
            self.assertEqual(output["datatype"], expected.datatype)
            rest = np.array(output["data"], dtype=np.float32)
            ours = np.array(expected.contents.fp32_contents, dtype=np.float32)
            self.assertTrue(np.array_equal(rest.view(np.uint32),
                                           ours.view(np.uint32)), parameters)

    def test_samples_are_bit_equal_to_grpc(self):
        body = {"inputs": [{"name": "n", "datatype": "INT64", "shape": [1],
                            "data": [64]}], "parameters": {"seed": 3}}
        status, answer = call("POST", "/v2/models/rest/versions/1/infer", body)
        self.assertEqual(status, 200, answer)
        (output,) = answer["outputs"]
        self.assertEqual(output["shape"], [64, 2])
        request = pb.ModelInferRequest(model_name="rest", model_version="1")
        request.inputs.add(name="n", datatype="INT64",
                           shape=[1]).contents.int64_contents.append(64)
        request.parameters["seed"].int64_param = 3
        expected = STUB.ModelInfer(request, timeout=60).outputs[0]
        self.assertEqual(
            np.array(output["data"], np.float32).tobytes(),
            np.array(expected.contents.fp32_contents, np.float32).tobytes())

    def test_curl_reads_the_same_routes(self):
        ready = subprocess.run(["curl", "-s", f"{BASE}/v2/health/ready"],
                               capture_output=True, text=True, check=True)
        self.assertEqual(json.loads(ready.stdout), {"ready": True})
        infer = subprocess.run(
            ["curl", "-s", "-X", "POST", "-H",
             "Content-Type: application/json", "-d",
             json.dumps(points_body(POINTS[:3])),
             f"{BASE}/v2/models/rest/infer"],
            capture_output=True, text=True, check=True)
        self.assertEqual(json.loads(infer.stdout)["outputs"][0]["shape"], [3])


class BadRequestsTest(unittest.TestCase):

    def expect(self, status, path, body, method="POST", words=""):
        got, answer = call(method, path, body)
        self.assertEqual(got, status, answer)
        self.assertIsInstance(answer.get("error"), str, answer)
        self.assertIn(words, answer["error"])

    def test_bad_json_and_wrong_shapes_are_400(self):
        infer = "/v2/models/rest/infer"
        self.expect(400, infer, b"{not json", words="JSON")
        self.expect(400, infer, {"inputs": "x"}, words="inputs")
        self.expect(400, infer, {"inputs": [{"name": "x", "datatype": "FP32",
                                             "shape": [2, 2],
                                             "data": [1, "a", 3, 4]}]},
                    words="inputs[0].data[1]")
        self.expect(400, infer, {"inputs": [{"name": "x", "datatype": "FP99",
                                             "shape": [1, 2], "data": [1, 2]}]},
                    words="datatype")
        self.expect(400, infer, points_body(np.zeros((2, 3), np.float32)),
                    words="input 'x'")
        self.expect(400, infer, {"inputs": [{"name": "x", "datatype": "FP32",
                                             "shape": [1, 2],
                                             "data": [1, 2, 3]}]})
        deep = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 2],
                            "data": json.loads("[" * 40 + "]" * 40)}]}
        self.expect(400, infer, deep, words="nested")

    def test_unknown_model_and_route_are_404(self):
        self.expect(404, "/v2/models/nope/infer", points_body(POINTS[:2]),
                    words="nope")
        self.expect(404, "/v2/models/nope", None, method="GET")
        self.expect(404, "/v2/nothing", None, method="GET",
                    words="no such route")

    def test_body_over_the_limit_is_413(self):
        big = points_body(np.ones((20_000, 2), np.float32))
        self.assertGreater(len(json.dumps(big)), BODY_LIMIT)
        self.expect(413, "/v2/models/rest/infer", big)


class TokensTest(unittest.TestCase):

    def test_rest_goes_through_the_same_door(self):
        directory = os.path.join(TMP.name, "auth")
        tokens = write_token_file(directory, "reader-token-0123456789 read")
        server = Server(SERVER, directory,
                        flags=[f"--auth_token_file={tokens}",
                               "--http_listen=127.0.0.1:0"])
        try:
            base = f"http://{server.http_address}"
            status, body = call("GET", "/v2/health/ready", base=base)
            self.assertEqual(status, 401, body)
            status, body = call("GET", "/v2/health/ready", base=base,
                                headers={"Authorization": "Bearer wrong"})
            self.assertEqual(status, 401, body)
            status, body = call(
                "GET", "/v2/health/ready", base=base,
                headers={"Authorization": "Bearer reader-token-0123456789"})
            self.assertEqual((status, body), (200, {"ready": True}))
        finally:
            self.assertEqual(server.stop(), 0)


class TlsTest(unittest.TestCase):
    """The REST port takes the server's TLS files: HTTPS, and with
    --tls_client_ca only clients with a certificate that CA signed."""

    def test_https_with_client_certificates(self):
        directory = os.path.join(TMP.name, "tls")
        make_ca_server_and_client(directory)
        path = lambda name: os.path.join(directory, name)  # noqa: E731
        server = Server(SERVER, directory, flags=[
            f"--tls_cert={path('server.pem')}",
            f"--tls_key={path('server.key')}",
            f"--tls_client_ca={path('ca.pem')}",
            "--http_listen=127.0.0.1:0"])
        try:
            url = f"https://{server.http_address}/v2/health/ready"
            context = ssl.create_default_context(cafile=path("ca.pem"))
            context.load_cert_chain(path("client.pem"), path("client.key"))
            with urllib.request.urlopen(url, context=context,
                                        timeout=30) as response:
                self.assertEqual(json.loads(response.read()), {"ready": True})
            anonymous = ssl.create_default_context(cafile=path("ca.pem"))
            with self.assertRaises((urllib.error.URLError, ssl.SSLError,
                                    ConnectionError)):
                urllib.request.urlopen(url, context=anonymous,
                                       timeout=30).read()
            plain = f"http://{server.http_address}/v2/health/ready"
            with self.assertRaises((urllib.error.URLError, ConnectionError,
                                    http.client.HTTPException)):
                urllib.request.urlopen(plain, timeout=30).read()
        finally:
            self.assertEqual(server.stop(), 0)


class LatencyTest(unittest.TestCase):

    def test_print_p50_of_a_1000_point_log_likelihood(self):
        body = json.dumps(points_body(POINTS)).encode()
        rest, grpc_ = [], []
        for _ in range(15):
            start = time.perf_counter()
            call("POST", "/v2/models/rest/infer", body)
            rest.append(time.perf_counter() - start)
            start = time.perf_counter()
            grpc_points(POINTS)
            grpc_.append(time.perf_counter() - start)
        print(f"\n1,000-point log-likelihood p50: REST "
              f"{statistics.median(rest) * 1e3:.1f} ms, gRPC ModelInfer "
              f"{statistics.median(grpc_) * 1e3:.1f} ms (15 calls each)",
              flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    args, rest = parser.parse_known_args()
    SERVER = args.server
    unittest.main(argv=[sys.argv[0]] + rest)
