"""Keyword arguments to `jkoflow.v1.Hyperparameters` and request enums."""

from jkoflow.errors import InvalidArgument
from jkoflow.v1 import flow_pb2, training_pb2

_FIELDS = frozenset(
    field.name for field in training_pb2.Hyperparameters.DESCRIPTOR.fields)

_METHODS = {
    "exact": flow_pb2.DIVERGENCE_METHOD_EXACT,
    "hutchinson": flow_pb2.DIVERGENCE_METHOD_HUTCHINSON,
}


def divergence_method(method):
    """Returns the DivergenceMethod for "exact", "hutchinson" or an enum value.

    Raises InvalidArgument for anything else.
    """
    if isinstance(method, str):
        if method.lower() in _METHODS:
            return _METHODS[method.lower()]
    elif method in _METHODS.values():
        return method
    raise InvalidArgument(
        f"method: expected exact or hutchinson, got {method!r}")


def hyperparameters(caller, values):
    """Returns a Hyperparameters message with the fields named in `values`.

    Keys are exactly the proto's field names (blocks, iterations, batch_size,
    width, ...); a field not given stays unset, so the server uses its
    default. `divergence` may be "exact" or "hutchinson". Raises TypeError
    naming `caller` and the first unknown key, as Python does for a bad
    keyword argument.
    """
    for key in values:
        if key not in _FIELDS:
            raise TypeError(f"{caller}() got an unexpected keyword argument "
                            f"'{key}' (not a Hyperparameters field)")
    message = training_pb2.Hyperparameters()
    for key, value in values.items():
        if value is None:
            continue
        if key == "divergence":
            value = divergence_method(value)
        setattr(message, key, value)
    return message
