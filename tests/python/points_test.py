"""Unit tests of jkoflow.points, jkoflow.hyperparameters and jkoflow.errors:
no server. Run with the generated package on PYTHONPATH."""

import unittest

import grpc
import numpy as np

import jkoflow
from jkoflow import points
from jkoflow.hyperparameters import hyperparameters
from jkoflow.v1 import flow_pb2


def chunk(offset, values, stages=()):
    return flow_pb2.SampleChunk(
        offset=offset, points=points.encode(points.as_matrix(values)),
        stages=[points.encode(points.as_matrix(s)) for s in stages])


class PointsTest(unittest.TestCase):

    def test_encode_is_little_endian_float32_row_major(self):
        message = points.encode(points.as_matrix([[1.0, 2.0], [3.0, 4.0]]))
        self.assertEqual((message.rows, message.cols), (2, 2))
        self.assertEqual(message.data, np.array([1, 2, 3, 4], "<f4").tobytes())
        np.testing.assert_array_equal(points.decode(message),
                                      [[1, 2], [3, 4]])

    def test_decode_refuses_a_wrong_byte_count(self):
        message = flow_pb2.Points(rows=2, cols=2, data=b"\0" * 12)
        with self.assertRaises(jkoflow.DataLoss):
            points.decode(message)

    def test_as_matrix_refuses_other_shapes(self):
        for bad in (np.zeros(3), np.zeros((0, 2)), np.zeros((2, 2, 2))):
            with self.assertRaises(jkoflow.InvalidArgument):
                points.as_matrix(bad)

    def test_row_slices_cover_the_rows_in_order_within_a_quarter_message(self):
        # 4096-byte messages: 1024 bytes of points, 128 rows of 2 floats.
        slices = list(points.row_slices(300, 2, 4096))
        self.assertEqual(slices, [(0, 128), (128, 256), (256, 300)])
        self.assertEqual(list(points.row_slices(3, 100000, 4096)),
                         [(0, 1), (1, 2), (2, 3)])  # at least one row

    def test_assembler_puts_chunks_in_place_in_any_order(self):
        x = np.arange(20, dtype=np.float32).reshape(10, 2)
        assembler = points.SampleAssembler(10, trajectory=False)
        assembler.add(chunk(6, x[6:]))
        assembler.add(chunk(0, x[:6]))
        np.testing.assert_array_equal(assembler.finish(), x)

    def test_assembler_keeps_the_stages(self):
        x = np.arange(8, dtype=np.float32).reshape(4, 2)
        assembler = points.SampleAssembler(4, trajectory=True)
        assembler.add(chunk(0, x[:2], stages=[-x[:2], x[:2]]))
        assembler.add(chunk(2, x[2:], stages=[-x[2:], x[2:]]))
        stages = assembler.finish()
        self.assertEqual(stages.shape, (2, 4, 2))
        np.testing.assert_array_equal(stages[0], -x)
        np.testing.assert_array_equal(stages[1], x)

    def test_assembler_refuses_missing_overlapping_and_outside_chunks(self):
        x = np.zeros((4, 2), np.float32)
        missing = points.SampleAssembler(4, trajectory=False)
        missing.add(chunk(0, x[:3]))
        with self.assertRaisesRegex(jkoflow.DataLoss, "received 3 of 4"):
            missing.finish()
        overlapping = points.SampleAssembler(4, trajectory=False)
        overlapping.add(chunk(0, x[:3]))
        overlapping.add(chunk(2, x[:2]))
        with self.assertRaisesRegex(jkoflow.DataLoss, "overlapping"):
            overlapping.finish()
        with self.assertRaises(jkoflow.DataLoss):
            points.SampleAssembler(4, trajectory=False).add(chunk(3, x[:2]))


class HyperparametersTest(unittest.TestCase):

    def test_set_fields_only(self):
        message = hyperparameters("train", dict(blocks=3, h0=0.5,
                                                divergence="exact"))
        self.assertTrue(message.HasField("blocks"))
        self.assertFalse(message.HasField("iterations"))
        self.assertEqual(message.h0, 0.5)
        self.assertEqual(message.divergence, flow_pb2.DIVERGENCE_METHOD_EXACT)

    def test_unknown_keyword_is_a_type_error_naming_it(self):
        with self.assertRaisesRegex(TypeError, "'block'"):
            hyperparameters("train", dict(block=3))

    def test_bad_method_is_invalid_argument(self):
        with self.assertRaises(jkoflow.InvalidArgument):
            hyperparameters("train", dict(divergence="monte-carlo"))


class ErrorsTest(unittest.TestCase):

    def test_every_code_has_its_class(self):
        class FakeError(grpc.RpcError):
            def __init__(self, code):
                self._code = code

            def code(self):
                return self._code

            def details(self):
                return "why"

        for code in grpc.StatusCode:
            if code == grpc.StatusCode.OK:
                continue
            error = jkoflow.errors.from_rpc_error(FakeError(code))
            self.assertEqual(error.code, code)
            self.assertIs(type(error).code, code)
            self.assertEqual(str(error), f"{code.name}: why")


if __name__ == "__main__":
    unittest.main(verbosity=2)
