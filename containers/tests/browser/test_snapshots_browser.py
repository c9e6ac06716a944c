"""Snapshots in a real Chromium against gunicorn: take one, change a file, restore it after confirming."""

import os

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_take_then_restore_after_confirming_brings_the_file_back(browse, users, make_container, lxcpath, backend):
    name = make_container("bsnap")
    marker = os.path.join(lxcpath, name, "rootfs", "root", "marker")
    with open(marker, "w") as fh:
        fh.write("before")
    page = browse(users.dave)
    page.goto(f"/containers/{name}/")
    section = page.locator("#snapshots")
    expect(section).to_contain_text("No snapshots yet.")
    section.get_by_label("Comment").fill("before the change")
    section.get_by_role("button", name="Take snapshot").click()
    expect(page.locator(".opstate .badge")).to_have_text("succeeded", timeout=60000)
    page.get_by_role("link", name=f"Go to {name}").click()
    row = page.locator('#snapshots tr[data-snapshot="snap0"]')
    expect(row).to_contain_text("before the change")

    with open(marker, "w") as fh:
        fh.write("after")
    backend.start(name)
    page.reload()
    restore = row.get_by_role("button", name="Restore snap0")
    expect(restore).to_be_hidden()  # behind the confirmation step
    row.get_by_text("Restore…").click()
    expect(row).to_contain_text("what changed since is lost")
    row.get_by_label("Stop it first").check()
    restore.click()
    expect(page.locator(".opstate .badge")).to_have_text("succeeded", timeout=60000)
    with open(marker) as fh:
        assert fh.read() == "before"
    assert backend.state(name) == "STOPPED"
