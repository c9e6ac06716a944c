"""Beyond loopback the panel speaks HTTPS, as a fresh `bin/lwp-run` serves it.

Each test runs the real script on a fresh data dir, bound to the address of the test run's
own bridge (a non-loopback address of this host), and talks to it with curl.
"""

import ipaddress
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from lwp import tls
from lwp.tests.server_support import ADMIN_PASSWORD, LwpRun, curl, free_port_on, lwp_run, manage, script_env

CURL_SSL_CONNECT_ERROR = 35  # no TLS handshake: the server spoke plain HTTP
CURL_EMPTY_REPLY = 52  # plain HTTP to a TLS port: the server hung up without an HTTP answer
CURL_RECV_ERROR = 56
CURL_PEER_NOT_VERIFIED = 60


def openssl_fingerprint(cert_file):
    """The SHA-256 fingerprint as openssl prints it: the figure users compare with their browser's."""
    out = subprocess.run(["openssl", "x509", "-in", str(cert_file), "-noout", "-fingerprint", "-sha256"],
                         capture_output=True, text=True, check=True, timeout=10).stdout
    return out.strip().split("=", 1)[1]


def api_token(env):
    made = manage(env, "createtoken", "--user", "admin")
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


@pytest.fixture
def lan_bind(bridge):
    """HOST:PORT on the private bridge's address: not loopback, so HTTPS by default."""
    return f"{bridge.address}:{free_port_on(bridge.address)}"


def test_fresh_lwp_run_on_a_lan_address_serves_https_with_a_generated_certificate(tmp_path, lxcpath, lan_bind):
    data_dir = tmp_path / "data"
    env = script_env(data_dir, lan_bind, lxcpath)
    cert = data_dir / "tls" / "cert.pem"

    with lwp_run(env, tmp_path / "lwp-run.log") as server:
        token = api_token(env)
        trusted = curl("--fail", "--cacert", str(cert), "--header", f"private-token: {token}",
                       f"https://{lan_bind}/api/v1/")
        unverified = curl("--fail", f"https://{lan_bind}/api/v1/")
        plain = curl(f"http://{lan_bind}/api/v1/")

    assert trusted.returncode == 0, trusted.stderr
    assert '"status":"ok"' in trusted.stdout.replace(" ", "")
    assert unverified.returncode == CURL_PEER_NOT_VERIFIED, unverified.stderr  # self-signed: pin or --cacert
    assert plain.returncode in (CURL_EMPTY_REPLY, CURL_RECV_ERROR), plain
    assert plain.stdout == ""
    # The fingerprint is printed at start-up, as openssl computes it from the file.
    assert f"SHA-256 fingerprint: {openssl_fingerprint(cert)}" in server.output
    assert f"Listening at: https://{lan_bind}" in server.output
    assert ADMIN_PASSWORD not in server.output
    assert (data_dir / "tls" / "key.pem").stat().st_mode & 0o777 == 0o600


def test_second_start_keeps_the_generated_certificate(tmp_path, lxcpath, bridge):
    data_dir = tmp_path / "data"
    first = script_env(data_dir, f"{bridge.address}:{free_port_on(bridge.address)}", lxcpath)
    assert manage(first, "migrate", "--noinput").returncode == 0
    printed = manage(first, "ensuretls")
    assert printed.returncode == 0, printed.stderr
    cert = data_dir / "tls" / "cert.pem"
    before = cert.read_bytes()

    again = manage(first, "ensuretls")

    assert again.returncode == 0, again.stderr
    assert cert.read_bytes() == before  # generated once: a pinned fingerprint stays valid
    assert openssl_fingerprint(cert) in printed.stdout
    assert printed.stdout == again.stdout


def test_tls_off_keeps_plain_http_on_a_lan_address(tmp_path, lxcpath, lan_bind):
    data_dir = tmp_path / "data"
    env = script_env(data_dir, lan_bind, lxcpath, LWP_TLS="off")

    with lwp_run(env, tmp_path / "lwp-run.log") as server:
        token = api_token(env)
        plain = curl("--fail", "--header", f"private-token: {token}", f"http://{lan_bind}/api/v1/")
        secure = curl("--insecure", f"https://{lan_bind}/api/v1/")

    assert plain.returncode == 0, plain.stderr
    assert '"status":"ok"' in plain.stdout.replace(" ", "")
    assert secure.returncode == CURL_SSL_CONNECT_ERROR, secure
    assert f"Listening at: http://{lan_bind}" in server.output
    assert "LWP_TLS=off" in server.output  # the start-up says why it is plain HTTP
    assert not (data_dir / "tls").exists()  # no certificate made for nothing


def make_pair(directory, address):
    """A pair a sysadmin would bring (its own key, naming `address`), in a new `directory`."""
    directory.mkdir()
    key = ec.generate_private_key(ec.SECP256R1())
    cert = tls.self_signed(key, ["panel.example"], [ipaddress.ip_address(address)])
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def test_given_certificate_and_key_are_served(tmp_path, lxcpath, bridge, lan_bind):
    cert_file, key_file = make_pair(tmp_path / "given", bridge.address)
    data_dir = tmp_path / "data"
    env = script_env(data_dir, lan_bind, lxcpath, LWP_TLS_CERT=str(cert_file), LWP_TLS_KEY=str(key_file))

    with lwp_run(env, tmp_path / "lwp-run.log") as server:
        token = api_token(env)
        trusted = curl("--fail", "--cacert", str(cert_file), "--header", f"private-token: {token}",
                       f"https://{lan_bind}/api/v1/")

    assert trusted.returncode == 0, trusted.stderr
    assert f"SHA-256 fingerprint: {openssl_fingerprint(cert_file)}" in server.output
    assert not (data_dir / "tls").exists()  # nothing generated beside the given pair


def test_unreadable_certificate_stops_lwp_run_with_a_clear_error(tmp_path, lxcpath, lan_bind):
    missing = tmp_path / "nope" / "cert.pem"
    env = script_env(tmp_path / "data", lan_bind, lxcpath, LWP_TLS_CERT=str(missing),
                     LWP_TLS_KEY=str(tmp_path / "key.pem"))

    server = LwpRun(env, tmp_path / "lwp-run.log").start()
    try:
        code = server.wait_exit()
    finally:
        server.stop()

    assert code != 0
    assert f"HTTPS cannot start: LWP_TLS_CERT={missing}: cannot read it (No such file or directory)" in server.output
    assert "Traceback" not in server.output
    assert "Listening at" not in server.output


def test_key_of_another_certificate_is_refused(tmp_path, lxcpath, bridge, lan_bind):
    cert_file, _ = make_pair(tmp_path / "one", bridge.address)
    _, other_key = make_pair(tmp_path / "two", bridge.address)
    env = script_env(tmp_path / "data", lan_bind, lxcpath, LWP_TLS_CERT=str(cert_file), LWP_TLS_KEY=str(other_key))

    refused = manage(env, "ensuretls")

    assert refused.returncode != 0
    assert f"LWP_TLS_KEY={other_key} is not the private key of LWP_TLS_CERT={cert_file}" in refused.stderr


def test_loopback_bind_stays_plain_http(tmp_path, lxcpath):
    env = script_env(tmp_path / "data", "127.0.0.1:5000", lxcpath)

    printed = manage(env, "ensuretls")

    assert printed.returncode == 0, printed.stderr
    assert "plain HTTP on http://127.0.0.1:5000/ (loopback only)" in printed.stdout
    assert not (tmp_path / "data" / "tls").exists()


def test_certificate_for_every_address_names_the_bridge_address(tmp_path, bridge):
    """Bound to 0.0.0.0 the panel answers on each of the host's addresses; the certificate names them."""
    cert = tls.ensure_generated(tmp_path / "tls" / "cert.pem", tmp_path / "tls" / "key.pem", "0.0.0.0")

    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address(bridge.address) in san.get_values_for_type(x509.IPAddress)
    assert {"localhost"} <= set(san.get_values_for_type(x509.DNSName))
    assert (tmp_path / "tls" / "key.pem").stat().st_mode & 0o777 == 0o600


def test_moved_bind_keeps_the_certificate_and_warns_that_it_does_not_name_the_new_address(tmp_path, lxcpath, bridge):
    data_dir = tmp_path / "data"
    first = manage(script_env(data_dir, f"{bridge.address}:8443", lxcpath), "ensuretls")
    assert first.returncode == 0, first.stderr
    cert = data_dir / "tls" / "cert.pem"
    before = cert.read_bytes()

    moved = manage(script_env(data_dir, "192.0.2.7:8443", lxcpath), "ensuretls")  # TEST-NET-1: never bound

    assert moved.returncode == 0, moved.stderr
    assert cert.read_bytes() == before  # a pinned fingerprint stays valid
    assert "the certificate does not name 192.0.2.7" in moved.stderr
    assert "delete the data dir's tls/ to generate a new one" in moved.stderr
    assert "does not name" not in first.stderr


def test_the_console_socket_is_wss_beside_https(tmp_path, lxcpath, lan_bind, make_container):
    """Served over TLS, the ticket's socket URL is wss:// and the shell answers through it."""
    import json  # noqa: PLC0415
    import ssl  # noqa: PLC0415

    from websockets.sync.client import connect  # noqa: PLC0415

    name = make_container("tls", start=True)
    data_dir = tmp_path / "data"
    env = script_env(data_dir, lan_bind, lxcpath)
    cert = data_dir / "tls" / "cert.pem"
    with lwp_run(env, tmp_path / "lwp-run.log"):
        issued = curl("--fail", "--cacert", str(cert), "--header", f"private-token: {api_token(env)}",
                      "--json", '{"mode": "shell"}', f"https://{lan_bind}/api/v1/containers/{name}/console")
        assert issued.returncode == 0, issued.stderr
        url = json.loads(issued.stdout)["url"]
        assert url.startswith(f"wss://{lan_bind}/ws/containers/{name}/console?")
        context = ssl.create_default_context(cafile=str(cert))
        with connect(url, ssl=context, open_timeout=30) as socket:
            terminal_output_until(socket, b"# ")
            socket.send(b"echo tls-$((40+2))\r")
            assert b"tls-42" in terminal_output_until(socket, b"tls-42")


def terminal_output_until(socket, wanted):
    output = b""
    while wanted not in output:
        frame = socket.recv(timeout=20)
        output += frame if isinstance(frame, bytes) else b""  # text frames are the session's status
    return output
