"""The TLS tests' certificates, made at test time by tests/support/make_test_certs.sh (the openssl
command) in a fresh temporary folder: see that script for the list."""

import os
import subprocess
import tempfile

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support", "make_test_certs.sh")


def make_certs():
    """Returns (folder, path function): path("server.pem") and so on. The caller removes it."""
    d = tempfile.mkdtemp(prefix="wsx-tls-")
    subprocess.run(["sh", SCRIPT, d], check=True, timeout=120)
    return d, lambda name: os.path.join(d, name)
