"""jkoflow.aio: the asyncio client, on grpc.aio.

    async with jkoflow.aio.Client("127.0.0.1:50051") as client:
        x = await client.sample("m", 1000, seed=1)
        logp = await client.log_prob(x, "m")

Same arguments, results and exceptions as jkoflow.Client's methods of the
same names; training stays with the synchronous client.
"""

import grpc
import numpy as np

from jkoflow import calls, points, security
from jkoflow.client import DEFAULT_MAX_MESSAGE_BYTES
from jkoflow.errors import from_rpc_error
from jkoflow.v1 import flow_pb2, flow_pb2_grpc


class Client:
    """An asyncio jkoflow client (FlowService): models(), info(), sample()
    and log_prob() are coroutines. Create it inside a running event loop;
    `await close()` (or `async with`) releases the channel."""

    def __init__(self, target, token=None, tls=None, timeout=None,
                 max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES, lb=None):
        self.target = target
        self.timeout = timeout
        self.max_message_bytes = max_message_bytes
        self._metadata = security.call_metadata(token)
        self._channel = security.open_channel(grpc.aio, target, tls,
                                              max_message_bytes, lb)
        self._flow = flow_pb2_grpc.FlowServiceStub(self._channel)

    async def close(self):
        """Closes the channel; calls in flight are cancelled."""
        await self._channel.close()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()

    async def _unary(self, method, request):
        try:
            return await method(request, timeout=self.timeout,
                                metadata=self._metadata)
        except grpc.RpcError as e:
            raise from_rpc_error(e) from None

    async def models(self):
        """Returns every model version's ModelInfo, by name then version."""
        response = await self._unary(self._flow.ListModels,
                                     flow_pb2.ListModelsRequest())
        return list(response.models)

    async def info(self, name, version=0):
        """Returns the ModelInfo of one model version (0: newest loaded)."""
        return await self._unary(self._flow.GetModel, flow_pb2.GetModelRequest(
            model=calls.model_ref(name, version)))

    async def export_model(self, name, path=None, version=0):
        """The model as TorchScript bytes, as Client.export_model."""
        response = await self._unary(self._flow.ExportModel,
                                     flow_pb2.ExportModelRequest(
                                         model=calls.model_ref(name, version)))
        if path is not None:
            calls.write_atomically(path, response.torchscript)
        return response.torchscript

    async def sample(self, name, n, seed=0, version=0, trajectory=False,
                     chunk_points=0, as_images=False):
        """Draws `n` points as float32 [n, d] (see jkoflow.Client.sample)."""
        if as_images:
            shape = points.item_shape(await self.info(name, version))
            return points.as_images(
                await self.sample(name, n, seed, version, trajectory,
                                  chunk_points), shape)
        request = calls.sample_request(name, n, seed, version, trajectory,
                                       chunk_points)
        assembler = points.SampleAssembler(n, trajectory)
        try:
            async for chunk in self._flow.Sample(request, timeout=self.timeout,
                                                 metadata=self._metadata):
                assembler.add(chunk)
        except grpc.RpcError as e:
            raise from_rpc_error(e) from None
        return assembler.finish()

    async def log_prob(self, x, name, method="exact", probes=1, seed=0,
                       version=0, std_error=False):
        """Returns log p(x) of each row of `x` as float64 [n], or with
        std_error=True the pair (log p, standard errors) (see
        jkoflow.Client.log_prob); split requests are sent one at a time."""
        calls.check_std_error_request(method, probes, std_error)
        results = [np.empty(0, np.float64)]
        errors = [np.empty(0, np.float64)]
        for rows, request in calls.log_prob_requests(
                x, name, version, method, probes, seed, self.max_message_bytes):
            response = await self._unary(self._flow.LogLikelihood, request)
            results.append(calls.check_log_prob(response, rows))
            if std_error:
                errors.append(calls.check_std_error(response, rows))
        if std_error:
            return np.concatenate(results), np.concatenate(errors)
        return np.concatenate(results)
