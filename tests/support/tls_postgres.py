"""A real PostgreSQL that speaks TLS on 127.0.0.2, with a certificate signed by a CA made for the test.

127.0.0.2 is loopback, but not an address Storyforge treats as local: a connection to it must use TLS and verify
the certificate, as one to Supabase does. The server also listens on 127.0.0.3, where its certificate (made out to
127.0.0.2 only) names another host.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop.db.embedded import DB_NAME, DB_USER, EmbeddedPostgres

# Present wherever keyring pulls in SecretStorage (Linux); not a dependency of Storyforge itself.
pytest.importorskip("cryptography", reason="the TLS tests make their certificates with the `cryptography` package")
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HOST = "127.0.0.2"
OTHER_HOST = "127.0.0.3"  # the same server, reached by an address its certificate does not name


@dataclass(frozen=True)
class Certificates:
    ca_file: Path
    cert_file: Path
    key_file: Path


def make_certificates(folder: Path, host: str = HOST) -> Certificates:
    """A CA, and a server certificate for the IP address `host` signed by it (PEM files in `folder`)."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Storyforge test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    files = Certificates(folder / "ca.crt", folder / "server.crt", folder / "server.key")
    files.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return files


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def free_port(host: str) -> int:
    """A free TCP port on `host`; skips the test when the address cannot be bound on this machine."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
            return int(probe.getsockname()[1])
    except OSError as exc:
        pytest.skip(f"{host} cannot be bound here ({exc.strerror}): the TLS tests need a second loopback address")


class TlsPostgres:
    """An EmbeddedPostgres cluster, restarted to listen on TCP with TLS (and only TLS) for HOST and OTHER_HOST."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port(HOST)
        free_port(OTHER_HOST)
        self.certificates = make_certificates(folder / "certificates")
        self.server = EmbeddedPostgres(folder / "data")
        self.server.start()  # creates the cluster; it listens on its Unix socket only
        self.server.stop()
        cluster = self.server.cluster_dir
        owner = cluster.stat()
        for name, source in (("server.crt", self.certificates.cert_file), ("server.key", self.certificates.key_file)):
            target = cluster / name
            shutil.copyfile(source, target)
            target.chmod(0o600)  # PostgreSQL refuses a key others can read
            os.chown(target, owner.st_uid, owner.st_gid)
        # After the include of Storyforge's own settings, which start() rewrites: the last value of a setting wins.
        with (cluster / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(
                "\n# TLS test server\n"
                f"listen_addresses = '{HOST},{OTHER_HOST}'\n"
                f"port = {self.port}\n"
                "ssl = on\n"
                f"ssl_cert_file = '{cluster / 'server.crt'}'\n"
                f"ssl_key_file = '{cluster / 'server.key'}'\n"
            )
        # First, before initdb's "reject" lines: the kernel sends from 127.0.0.1 to any loopback address.
        hba = cluster / "pg_hba.conf"
        hba.write_text("hostssl all all 127.0.0.0/8 trust\n" + hba.read_text(encoding="utf-8"), encoding="utf-8")
        self.server.start()

    def url(self, host: str = HOST, query: str = "") -> str:
        return f"postgresql://{DB_USER}@{host}:{self.port}/{DB_NAME}" + (f"?{query}" if query else "")

    def close(self) -> None:
        try:
            self.server.stop()
        finally:
            shutil.rmtree(self.server.cluster_dir, ignore_errors=True)
