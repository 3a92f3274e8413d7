"""Throwaway certificates for the TLS tests, made by the openssl command
(installed by deploy/install-deps.sh; the tests fail without it)."""

import os
import subprocess


def openssl(directory, *args):
    subprocess.run(["openssl", *args], cwd=directory, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=60)


def make_cert(directory, name, extension):
    """<name>.key and <name>.pem signed by ca.pem in `directory`, with the
    x509 `extension` line."""
    with open(os.path.join(directory, name + ".ext"), "w") as f:
        f.write(extension + "\n")
    openssl(directory, "req", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", name + ".key",
            "-out", name + ".csr", "-subj", "/CN=" + name)
    openssl(directory, "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
            "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-out",
            name + ".pem", "-extfile", name + ".ext")


def make_ca_server_and_client(directory):
    """ca.pem/ca.key, server.pem/key (for 127.0.0.1 and localhost) and
    client.pem/key (client auth) in a new `directory`."""
    os.makedirs(directory)
    openssl(directory, "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
            "-out", "ca.pem", "-days", "2", "-subj", "/CN=jkoflow test CA")
    make_cert(directory, "server", "subjectAltName=IP:127.0.0.1,DNS:localhost")
    make_cert(directory, "client", "extendedKeyUsage=clientAuth")
