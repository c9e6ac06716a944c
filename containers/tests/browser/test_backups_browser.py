"""Backups in a real Chromium against gunicorn and a real worker: back up a busybox container from
its page, restore the backup under a new name, and find it on the Backups page once the container
it was made of is destroyed."""

import re

import pytest
from playwright.sync_api import expect

from backups.models import Backup
from backups.services import final_path
from testing import playground

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZE = re.compile(r"\d+(\.\d+)? (B|KiB|MiB|GiB)")


def succeeded(page):
    expect(page.locator(".opstate .badge")).to_have_text("succeeded", timeout=120000)


def test_back_up_restore_to_a_new_name_and_find_it_once_the_container_is_gone(browse, users, make_container,
                                                                               backend):
    name = make_container("bbk")
    copy = playground.unique_name("bbkcopy")
    page = browse(users.erin)
    try:
        page.goto(f"/containers/{name}/")
        section = page.locator("#backups")
        expect(section).to_contain_text(f"No backups of {name} yet.")
        section.get_by_label("Comment").fill("before the upgrade")
        section.get_by_role("button", name="Back up now").click()
        succeeded(page)
        page.get_by_role("link", name=f"Go to {name}").click()
        backup = Backup.objects.get(container=name)
        row = page.locator("#backups tbody tr").filter(has_text="before the upgrade")
        expect(row.locator(".badge")).to_have_text("ready")
        expect(row.locator("td").nth(2)).to_have_text(SIZE)
        assert backup.size_bytes > 0

        restore = row.get_by_role("button", name="Restore as a new container")
        expect(restore).to_be_hidden()  # behind its own step
        row.get_by_text("Restore…").click()
        row.get_by_label("New container").fill(copy)
        restore.click()
        succeeded(page)
        page.get_by_role("link", name=f"Go to {copy}").click()
        expect(page.locator("h1")).to_contain_text(copy)  # its page opens: it exists
        assert backend.exists(copy)

        backend.destroy(name, force=True)
        page.get_by_role("link", name="Backups", exact=True).click()
        listed = page.locator(f'tr[data-backup="{backup.pk}"]')
        expect(listed).to_contain_text(f"{name} (destroyed)")
        expect(listed.get_by_role("link", name=name)).to_have_count(0)  # its page is gone
        expect(listed.get_by_role("link", name="Download")).to_be_visible()
    finally:
        if backend.exists(copy):
            backend.destroy(copy, force=True)
        for made in Backup.objects.filter(container=name):
            final_path(made.pk).unlink(missing_ok=True)
