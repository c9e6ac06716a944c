"""The certificate gunicorn serves HTTPS with (settings.SERVE_HTTPS decides whether it does).

LWP_TLS_CERT/LWP_TLS_KEY when given (checked: readable PEM, key matching the certificate);
otherwise a self-signed certificate generated once into DATA_DIR/tls, valid ten years and
naming this host (its names, the bind address, or all its addresses for 0.0.0.0 / ::),
as Proxmox and LXD do. Clients pin it by its SHA-256 fingerprint or use it as their CA
file (`curl --cacert data/tls/cert.pem`).
No Django import: gunicorn's config loads this before Django is set up.
"""

import contextlib
import datetime
import fcntl
import ipaddress
import json
import os
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = datetime.timedelta(days=3650)  # LXD's server certificate lasts ten years too
CLOCK_SKEW = datetime.timedelta(days=1)  # valid from yesterday: a client's clock may lag
IP_COMMAND_TIMEOUT = 5


class TLSError(Exception):
    """The certificate or key cannot be used; the message names the file and why."""


@dataclass(frozen=True)
class ServerCertificate:
    cert_file: Path
    key_file: Path
    fingerprint: str  # SHA-256, colon-separated hex, as `openssl x509 -fingerprint -sha256` prints it
    generated: bool  # True: LWP's own self-signed certificate in the data dir
    names_bind_host: bool  # False: clients that check the name will refuse it on this address


def generated_paths(data_dir):
    tls_dir = Path(data_dir) / "tls"
    return tls_dir / "cert.pem", tls_dir / "key.pem"


def server_certificate(settings):
    """The certificate to serve: the configured pair, or the generated one (made on first use).

    `settings` is Django's settings or the settings module itself (gunicorn's config).
    """
    host = settings.BIND_HOST
    if settings.LWP_TLS_CERT:
        cert_file, key_file = Path(settings.LWP_TLS_CERT), Path(settings.LWP_TLS_KEY)
        cert = load_pair(cert_file, key_file, cert_name="LWP_TLS_CERT", key_name="LWP_TLS_KEY")
        generated = False
    else:
        cert_file, key_file = generated_paths(settings.DATA_DIR)
        cert = ensure_generated(cert_file, key_file, host)
        generated = True
    return ServerCertificate(cert_file, key_file, fingerprint(cert), generated, names_host(cert, host))


def fingerprint(cert):
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def _read(path, name):
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise TLSError(f"{name}={path}: cannot read it ({exc.strerror})") from None


def load_pair(cert_file, key_file, *, cert_name="certificate", key_name="key"):
    """The certificate in cert_file, after checking that key_file holds its private key."""
    cert_pem, key_pem = _read(cert_file, cert_name), _read(key_file, key_name)
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
    except ValueError:
        raise TLSError(f"{cert_name}={cert_file}: not a PEM certificate") from None
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError):  # TypeError: the key is encrypted (gunicorn cannot prompt)
        raise TLSError(f"{key_name}={key_file}: not an unencrypted PEM private key") from None
    if _public_bytes(key.public_key()) != _public_bytes(cert.public_key()):
        raise TLSError(f"{key_name}={key_file} is not the private key of {cert_name}={cert_file}")
    return cert


def _public_bytes(public_key):
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@contextlib.contextmanager
def _locked_dir(path):
    """Holds an exclusive lock on the directory: two processes never write half a pair each."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def ensure_generated(cert_file, key_file, bind_host):
    """The generated certificate; made (with a new key) when there is none or it is unusable."""
    with _locked_dir(cert_file.parent):
        with contextlib.suppress(TLSError):
            return load_pair(cert_file, key_file)
        key = ec.generate_private_key(ec.SECP384R1())
        cert = self_signed(key, *certificate_names(bind_host))
        _write_private(key_file, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))
        _write_private(cert_file, cert.public_bytes(serialization.Encoding.PEM))
        return cert


def _write_private(path, data):
    """Write a 0600 file whole or not at all (a crash leaves the old file or none)."""
    partial = path.with_name(path.name + ".new")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)


def self_signed(key, dns_names, ip_addresses):
    hostname = socket.gethostname() or "localhost"
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "LWP"),
                         x509.NameAttribute(NameOID.COMMON_NAME, f"LWP on {hostname}"[:64])])
    now = datetime.datetime.now(datetime.timezone.utc)
    san = [x509.DNSName(name) for name in dns_names] + [x509.IPAddress(ip) for ip in ip_addresses]
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        # A server certificate, not a CA: browsers refuse a CA certificate used as a server's.
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA384())
    )


def certificate_names(bind_host):
    """(DNS names, IP addresses) a client may use to reach a server bound to bind_host."""
    dns_names = ["localhost"]
    ips = [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]
    for name in (socket.gethostname(), socket.getfqdn()):
        if name and name not in dns_names and _is_dns_name(name):
            dns_names.append(name)
    try:
        bind_ip = ipaddress.ip_address(bind_host)
    except ValueError:  # a host name
        if _is_dns_name(bind_host) and bind_host not in dns_names:
            dns_names.append(bind_host)
        bind_ip = None
    if bind_ip is not None and bind_ip.is_unspecified:  # 0.0.0.0 or ::: reachable on every address
        ips += host_addresses()
    elif bind_ip is not None:
        ips.append(bind_ip)
    return dns_names, list(dict.fromkeys(ips))


def _is_dns_name(name):
    labels = name.rstrip(".").split(".")
    return all(0 < len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii() for label in labels)


def host_addresses():
    """This host's global addresses (`ip -j addr`); none if iproute2 cannot say."""
    try:
        out = subprocess.run(["ip", "-j", "addr", "show"], capture_output=True, text=True, check=True,
                             timeout=IP_COMMAND_TIMEOUT).stdout
        links = json.loads(out)
    except (OSError, subprocess.SubprocessError, ValueError):
        return []
    return [ipaddress.ip_address(info["local"]) for link in links for info in link.get("addr_info", ())
            if info.get("scope") == "global" and "local" in info]


def names_host(cert, host):
    """True when the certificate's subjectAltName covers `host` (always for 0.0.0.0 / ::)."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None and ip.is_unspecified:
        return True
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    if ip is not None:
        return ip in san.get_values_for_type(x509.IPAddress)
    return host.lower() in (name.lower() for name in san.get_values_for_type(x509.DNSName))
