"""Tests of the Open Inference Protocol v2 (inference.GRPCInferenceService)
of a real jkoflow-server, through the stubs generated from
proto/inference/grpc_service.proto.

Usage: inference_test.py --server PATH/jkoflow-server [unittest arguments]
with <build>/client/python on PYTHONPATH (ctest, label `python`). One
server on a free loopback port trains one tiny model (through the jkoflow
client); every RPC is called, ModelInfer with typed and raw contents, its
results are compared with FlowService's (LogLikelihood, Sample) for the same
points and seed, and bad requests must give INVALID_ARGUMENT naming the
input, output or parameter. A second server checks the bearer token.
"""

import argparse
import os
import sys
import tempfile
import unittest

import grpc
import numpy as np

import jkoflow
from inference import grpc_service_pb2 as pb
from inference import grpc_service_pb2_grpc as pb_grpc
from server_process import TINY, Server, write_token_file

SERVER = None
DIM = 2


def setUpModule():
    global TMP, SERVE, CLIENT, CHANNEL, STUB, POINTS
    TMP = tempfile.TemporaryDirectory(prefix="jkoflow_inference_test_")
    SERVE = Server(SERVER, os.path.join(TMP.name, "server"))
    CLIENT = jkoflow.Client(SERVE.address, timeout=60)
    rng = np.random.default_rng(4)
    data = rng.standard_normal((1500, DIM)).astype(np.float32) * 0.7 + 1.0
    CLIENT.train("oip", data=data, **TINY).wait(timeout=120)
    CHANNEL = grpc.insecure_channel(SERVE.address)
    STUB = pb_grpc.GRPCInferenceServiceStub(CHANNEL)
    POINTS = rng.standard_normal((257, DIM)).astype(np.float32)


def tearDownModule():
    CHANNEL.close()
    CLIENT.close()
    code = SERVE.stop()
    TMP.cleanup()
    if code != 0:
        raise AssertionError(f"jkoflow-server exited with {code}")


def points_request(x, raw, **parameters):
    request = pb.ModelInferRequest(model_name="oip", id="req-1")
    tensor = request.inputs.add(name="x", datatype="FP32", shape=x.shape)
    if raw:
        request.raw_input_contents.append(x.astype("<f4").tobytes())
    else:
        tensor.contents.fp32_contents.extend(x.ravel().tolist())
    set_parameters(request, parameters)
    return request


def count_request(n, raw, **parameters):
    request = pb.ModelInferRequest(model_name="oip")
    tensor = request.inputs.add(name="n", datatype="INT64", shape=[1])
    if raw:
        request.raw_input_contents.append(np.array([n], "<i8").tobytes())
    else:
        tensor.contents.int64_contents.append(n)
    set_parameters(request, parameters)
    return request


def set_parameters(request, parameters):
    for name, value in parameters.items():
        if isinstance(value, str):
            request.parameters[name].string_param = value
        else:
            request.parameters[name].int64_param = value


def output_values(response, shape):
    """The one output of `response` as float32 [shape], from whichever
    encoding it came in."""
    assert len(response.outputs) == 1
    if response.raw_output_contents:
        values = np.frombuffer(response.raw_output_contents[0], "<f4")
    else:
        values = np.array(response.outputs[0].contents.fp32_contents,
                          np.float32)
    return values.reshape(shape)


class HealthAndMetadataTest(unittest.TestCase):
    def test_server_live_ready_and_metadata(self):
        self.assertTrue(STUB.ServerLive(pb.ServerLiveRequest()).live)
        self.assertTrue(STUB.ServerReady(pb.ServerReadyRequest()).ready)
        metadata = STUB.ServerMetadata(pb.ServerMetadataRequest())
        self.assertEqual(metadata.name, "jkoflow")
        self.assertTrue(metadata.version)

    def test_model_ready(self):
        self.assertTrue(STUB.ModelReady(pb.ModelReadyRequest(name="oip")).ready)
        self.assertTrue(
            STUB.ModelReady(pb.ModelReadyRequest(name="oip", version="1")).ready)
        with self.assertRaises(grpc.RpcError) as caught:
            STUB.ModelReady(pb.ModelReadyRequest(name="nope"))
        self.assertEqual(caught.exception.code(), grpc.StatusCode.NOT_FOUND)
        with self.assertRaises(grpc.RpcError) as caught:
            STUB.ModelReady(pb.ModelReadyRequest(name="oip", version="v1"))
        self.assertEqual(caught.exception.code(),
                         grpc.StatusCode.INVALID_ARGUMENT)

    def test_model_metadata_describes_both_signatures(self):
        metadata = STUB.ModelMetadata(pb.ModelMetadataRequest(name="oip"))
        self.assertEqual(metadata.name, "oip")
        self.assertEqual(list(metadata.versions), ["1"])
        inputs = {t.name: (t.datatype, list(t.shape)) for t in metadata.inputs}
        outputs = {t.name: (t.datatype, list(t.shape))
                   for t in metadata.outputs}
        self.assertEqual(inputs, {"x": ("FP32", [-1, DIM]),
                                  "n": ("INT64", [1])})
        self.assertEqual(outputs, {"log_prob": ("FP32", [-1]),
                                   "samples": ("FP32", [-1, DIM])})


class ModelInferTest(unittest.TestCase):
    def test_log_prob_equals_flow_service_in_both_encodings(self):
        expected = CLIENT.log_prob(POINTS, "oip").astype(np.float32)
        for raw in (False, True):
            response = STUB.ModelInfer(points_request(POINTS, raw))
            self.assertEqual(response.model_name, "oip")
            self.assertEqual(response.model_version, "1")
            self.assertEqual(response.id, "req-1")
            self.assertEqual(bool(response.raw_output_contents), raw)
            self.assertEqual(response.outputs[0].name, "log_prob")
            self.assertEqual(response.outputs[0].datatype, "FP32")
            self.assertEqual(list(response.outputs[0].shape), [len(POINTS)])
            np.testing.assert_array_equal(
                output_values(response, [len(POINTS)]), expected)

    def test_hutchinson_parameters_are_those_of_flow_service(self):
        expected = CLIENT.log_prob(POINTS, "oip", method="hutchinson",
                                   probes=3, seed=11).astype(np.float32)
        response = STUB.ModelInfer(points_request(
            POINTS, True, method="hutchinson", probes=3, seed=11))
        np.testing.assert_array_equal(output_values(response, [len(POINTS)]),
                                      expected)

    def test_samples_equal_flow_service_in_both_encodings(self):
        expected = CLIENT.sample("oip", 300, seed=21)
        for raw in (False, True):
            response = STUB.ModelInfer(count_request(300, raw, seed=21))
            self.assertEqual(response.outputs[0].name, "samples")
            self.assertEqual(list(response.outputs[0].shape), [300, DIM])
            self.assertEqual(bool(response.raw_output_contents), raw)
            np.testing.assert_array_equal(output_values(response, [300, DIM]),
                                          expected)

    def test_requested_output_by_name(self):
        request = points_request(POINTS[:3], False)
        request.outputs.add(name="log_prob")
        response = STUB.ModelInfer(request)
        self.assertEqual(len(response.outputs[0].contents.fp32_contents), 3)

    def test_bad_requests_name_what_is_wrong(self):
        def invalid(request, text, code=grpc.StatusCode.INVALID_ARGUMENT):
            with self.assertRaises(grpc.RpcError) as caught:
                STUB.ModelInfer(request)
            self.assertEqual(caught.exception.code(), code,
                             caught.exception.details())
            self.assertIn(text, caught.exception.details())

        wrong_name = points_request(POINTS[:2], False)
        wrong_name.inputs[0].name = "y"
        invalid(wrong_name, "input 'y'")
        wrong_type = points_request(POINTS[:2], False)
        wrong_type.inputs[0].datatype = "FP64"
        invalid(wrong_type, "input 'x': datatype must be FP32")
        wrong_shape = points_request(POINTS[:2], False)
        wrong_shape.inputs[0].shape[:] = [1, 4]
        invalid(wrong_shape, "input 'x': shape must be [N, 2]")
        short_raw = points_request(POINTS[:2], True)
        short_raw.raw_input_contents[0] = b"\0" * 12
        invalid(short_raw, "raw_input_contents holds 12 bytes")
        not_finite = points_request(np.array([[np.nan, 0]], np.float32), True)
        invalid(not_finite, "x.data")
        bad_output = points_request(POINTS[:2], False)
        bad_output.outputs.add(name="samples")
        invalid(bad_output, "output 'samples'")
        bad_parameter = points_request(POINTS[:2], False, temperature="hot")
        invalid(bad_parameter, "parameter 'temperature'")
        bad_method = points_request(POINTS[:2], False, method="approx")
        invalid(bad_method, "parameter 'method'")
        count_shape = count_request(3, False)
        count_shape.inputs[0].shape[:] = [2]
        invalid(count_shape, "input 'n': shape must be [1]")
        invalid(count_request(0, False), "n")
        two_inputs = points_request(POINTS[:2], False)
        two_inputs.inputs.add(name="n", datatype="INT64", shape=[1])
        invalid(two_inputs, "expected one input")
        unknown = points_request(POINTS[:2], False)
        unknown.model_name = "nope"
        invalid(unknown, "nope", grpc.StatusCode.NOT_FOUND)
        bad_version = points_request(POINTS[:2], False)
        bad_version.model_version = "latest"
        invalid(bad_version, "model_version")


class AuthTest(unittest.TestCase):
    def test_every_rpc_needs_a_token(self):
        directory = os.path.join(TMP.name, "auth")
        tokens = write_token_file(directory, "reader-token-0123456789 read")
        server = Server(SERVER, directory,
                        flags=[f"--auth_token_file={tokens}"])
        try:
            with grpc.insecure_channel(server.address) as channel:
                stub = pb_grpc.GRPCInferenceServiceStub(channel)
                with self.assertRaises(grpc.RpcError) as caught:
                    stub.ServerMetadata(pb.ServerMetadataRequest())
                self.assertEqual(caught.exception.code(),
                                 grpc.StatusCode.UNAUTHENTICATED)
                with self.assertRaises(grpc.RpcError) as caught:
                    stub.ModelInfer(count_request(3, False))
                self.assertEqual(caught.exception.code(),
                                 grpc.StatusCode.UNAUTHENTICATED)
                metadata = [("authorization", "Bearer reader-token-0123456789")]
                self.assertTrue(stub.ServerLive(pb.ServerLiveRequest(),
                                                metadata=metadata).live)
                # The reader gets past auth to the registry: NOT_FOUND.
                with self.assertRaises(grpc.RpcError) as caught:
                    stub.ModelInfer(count_request(3, False), metadata=metadata)
                self.assertEqual(caught.exception.code(),
                                 grpc.StatusCode.NOT_FOUND)
        finally:
            self.assertEqual(server.stop(), 0)


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
