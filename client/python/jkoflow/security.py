"""Channel security: TLS files and the bearer token."""

import dataclasses

import grpc

from jkoflow.errors import InvalidArgument


@dataclasses.dataclass(frozen=True)
class Tls:
    """TLS settings: the CA that signed the server's certificate (PEM file),
    and for servers with mutual TLS a client certificate and key, both or
    neither."""

    ca_file: str
    cert_file: str = None
    key_file: str = None


def _read(field, path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise InvalidArgument(f"{field}: cannot read {path}: {e}") from None
    if not data:
        raise InvalidArgument(f"{field}: {path} is empty")
    return data


def as_tls(tls):
    """Returns `tls` (None, a Tls, or a dict with ca_file, cert_file and
    key_file) as a Tls or None; InvalidArgument for a bad combination."""
    if tls is None:
        return None
    if isinstance(tls, dict):
        unknown = set(tls) - {"ca_file", "cert_file", "key_file"}
        if unknown:
            raise InvalidArgument(f"tls: unknown keys {sorted(unknown)}")
        tls = Tls(**tls)
    if not tls.ca_file:
        raise InvalidArgument("tls.ca_file: required for TLS")
    if bool(tls.cert_file) != bool(tls.key_file):
        raise InvalidArgument("tls.cert_file and tls.key_file: give both or "
                              "neither")
    return tls


def channel_credentials(tls):
    """Returns grpc.ChannelCredentials for a Tls (None: plaintext)."""
    if tls is None:
        return None
    return grpc.ssl_channel_credentials(
        root_certificates=_read("tls.ca_file", tls.ca_file),
        private_key=_read("tls.key_file", tls.key_file)
        if tls.key_file else None,
        certificate_chain=_read("tls.cert_file", tls.cert_file)
        if tls.cert_file else None)


def channel_options(max_message_bytes, lb=None):
    """gRPC channel options: sends bounded by `max_message_bytes`; receives
    unbounded, since the server bounds what it sends by its own limit; `lb`
    names gRPC's load-balancing policy ("round_robin" with a "dns:///"
    target spreads calls over every address; None keeps pick_first)."""
    options = [("grpc.max_send_message_length", max_message_bytes),
               ("grpc.max_receive_message_length", -1)]
    if lb:
        options.append(("grpc.lb_policy_name", lb))
    return options


def call_metadata(token):
    """The metadata sent with every call: the bearer token, if any."""
    return (("authorization", f"Bearer {token}"),) if token else ()


def open_channel(grpc_module, target, tls, max_message_bytes, lb=None):
    """A channel to `target` from `grpc_module` (grpc, or grpc.aio for the
    asyncio client): TLS when `tls` is given, channel_options() otherwise
    the same. InvalidArgument when max_message_bytes < 1024."""
    if max_message_bytes < 1024:
        raise InvalidArgument(
            f"max_message_bytes: must be >= 1024, got {max_message_bytes}")
    credentials = channel_credentials(as_tls(tls))
    options = channel_options(max_message_bytes, lb)
    if credentials is None:
        return grpc_module.insecure_channel(target, options=options)
    return grpc_module.secure_channel(target, credentials, options=options)
