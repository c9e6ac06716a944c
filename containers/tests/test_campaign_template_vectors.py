"""Template vectors campaign: a non-superuser with add permission tries to become host root.

Each vector is a create that, were it let through, makes root on the host run a program
or read a file the user chose: busybox's --busybox-path runs any host file, local's
--metadata loads a config (with an lxc.hook.* that runs at start) from any host path,
download's --server fetches from anywhere. The user is erin ("administrators", not a
superuser). Every vector goes through the API and the panel's create form; each must be
refused with a 400 naming what is not allowed, and no marker may ever appear: not after
the create, and not after starting whatever the create might have left.
"""

import contextlib
import io
import os
import socket
import stat
import tarfile
import threading
import uuid

import pytest

from lwp.exceptions import LWPError
from testing.api import assert_error

pytestmark = pytest.mark.django_db

CREATE_PAGE = "/containers/new/"


class Markers:
    """Where the vectors' payloads would leave a trace: files, and connections to a listener."""

    def __init__(self, directory):
        self.directory = directory
        self.file = directory / f"ran-as-root-{uuid.uuid4().hex[:8]}"
        self.connections = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                peer, address = self.listener.accept()
            except OSError:
                return
            self.connections.append(address)
            peer.close()

    def script(self, where):
        """An executable that leaves the marker file when run (as root, by whoever)."""
        path = where / f"payload-{uuid.uuid4().hex[:6]}"
        path.write_text(f"#!/bin/sh\ntouch {self.file}\nexit 0\n")
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return str(path)

    def left(self):
        return self.file.exists() or bool(self.connections)

    def close(self):
        self.listener.close()


def xz_tar(path, files):
    """A .tar.xz holding {name: text} (local's image format)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            archive.addfile(info, io.BytesIO(data))
    path.write_bytes(buffer.getvalue())
    return str(path)


@pytest.fixture
def markers(tmp_path):
    found = Markers(tmp_path)
    yield found
    found.close()


@pytest.fixture
def tenant_rootfs(make_container, lxcpath):
    """A directory inside a container's own rootfs: a tenant writes there, and it is on the host."""
    name = make_container("tenant")
    path = os.path.join(lxcpath, name, "rootfs", "tmp")
    os.makedirs(path, exist_ok=True)
    from pathlib import Path  # noqa: PLC0415

    return Path(path)


def vectors(markers, tenant_rootfs):
    """(label, template, argv): every way to reach the host through a template's options."""
    program = markers.script(tenant_rootfs)
    hook = markers.script(markers.directory)
    metadata = xz_tar(markers.directory / "meta.tar.xz", {
        "config": f"lxc.hook.pre-start = {hook}\nlxc.mount.entry = / host none bind,create=dir 0 0\n"})
    fstree = xz_tar(markers.directory / "rootfs.tar.xz", {"bin/sh": "#!/bin/sh\n"})
    server = f"127.0.0.1:{markers.port}"
    return [
        ("busybox-path", "busybox", ["--busybox-path", program]),
        ("busybox-path=", "busybox", [f"--busybox-path={program}"]),
        ("busybox-prefix", "busybox", [f"--busybox={program}"]),  # getopt takes unambiguous prefixes
        ("local", "local", ["--metadata", metadata, "--fstree", fstree]),
        ("local-short", "local", ["-m", metadata, "-f", fstree]),
        ("download-server", "download", ["--server", server, "--no-validate", "--dist", "debian",
                                         "--release", "bookworm", "--arch", "amd64"]),
        ("download-keyserver", "download", ["--keyserver", f"hkp://{server}", "--dist", "debian",
                                            "--release", "bookworm", "--arch", "amd64"]),
        ("download-path-value", "download", ["--dist", "../../tmp", "--release", "x", "--arch", "amd64"]),
        ("download-option-value", "download", ["--dist", "--server", "--release", server]),
    ]


def start_whatever_was_made(backend, name):
    """A refused create leaves nothing; if something was left, starting it runs its hooks."""
    if backend.exists(name):
        with contextlib.suppress(LWPError):  # e.g. no bridge: the hooks have run or never will
            backend.start(name)
        backend.destroy(name, force=True)


def test_every_template_vector_through_the_api_is_refused(api, users, tokens, backend, markers, tenant_rootfs):
    for label, template, args in vectors(markers, tenant_rootfs):
        name = f"vec-{uuid.uuid4().hex[:8]}"
        response = api("PUT", "/api/v1/containers/", token=tokens.erin,
                       data={"name": name, "template": template, "xargs": args})
        start_whatever_was_made(backend, name)
        assert_error(response, 400, "invalid")
        assert set(response.body["fields"]) & {"template", "xargs"}, (label, response.body)
        assert not backend.exists(name), label
        assert not markers.left(), label


def test_every_template_vector_through_the_panel_form_is_refused(client, users, backend, markers,
                                                                  tenant_rootfs):
    client.force_login(users.erin)
    for label, template, args in vectors(markers, tenant_rootfs):
        name = f"vec-{uuid.uuid4().hex[:8]}"
        response = client.post(CREATE_PAGE, {"name": name, "template": template, "store": "dir",
                                             "extra_args": " ".join(args)})
        start_whatever_was_made(backend, name)
        assert response.status_code == 400, label
        errors = response.context["form"].errors
        assert "template" in errors or "extra_args" in errors, (label, errors)
        assert not backend.exists(name), label
        assert not markers.left(), label


def test_refusals_name_the_option_or_value_not_allowed(api, users, tokens):
    cases = [("busybox", ["--busybox-path", "/bin/true"], "--busybox-path"),
             ("download", ["--server", "example.org"], "--server"),
             ("download", ["--dist", "a/b"], "'a/b'"),
             ("download", ["stray"], "'stray'")]
    for template, args, named in cases:
        response = api("PUT", "/api/v1/containers/", token=tokens.erin,
                       data={"name": "vec-named", "template": template, "xargs": args})
        if template == "download" and response.body.get("fields", {}).get("template"):
            continue  # this host has no download template to offer
        assert_error(response, 400, "invalid")
        assert named in response.body["fields"]["xargs"], response.body


def test_unvetted_template_is_offered_to_superusers_only_when_listed(api, users, tokens, client, settings):
    settings.LWP_TEMPLATES = ["busybox", "local"]
    offered = {}
    for who in ("alice", "erin"):
        offered[who] = api("GET", "/api/v1/templates", token=getattr(tokens, who)).body["templates"]
        client.force_login(getattr(users, who))
        page = client.get(CREATE_PAGE)
        assert [value for value, _ in page.context["form"].fields["template"].choices] == offered[who]
    assert offered == {"alice": ["busybox", "local"], "erin": ["busybox"]}
    arguments = api("GET", "/api/v1/templates", token=tokens.alice).body["arguments"]
    assert arguments == {"busybox": [], "local": None}  # None: free arguments, superusers only
    client.force_login(users.erin)
    assert "busybox: none" in client.get(CREATE_PAGE).content.decode()
    settings.LWP_TEMPLATES = None  # the default: the vetted templates this host has
    default = api("GET", "/api/v1/templates", token=tokens.alice).body["templates"]
    assert "local" not in default and "oci" not in default and "busybox" in default


def test_template_left_out_of_lwp_templates_is_refused_even_to_a_superuser(api, users, tokens, settings):
    settings.LWP_TEMPLATES = ["download"]
    response = api("PUT", "/api/v1/containers/", token=tokens.alice,
                   data={"name": "vec-unlisted", "template": "busybox"})
    assert_error(response, 400, "invalid")
    assert "not offered" in response.body["fields"]["template"]
