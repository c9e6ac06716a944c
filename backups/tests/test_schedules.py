"""Backup schedules: when they run, the worker's chore that starts them once, keeping the last N,
the schedule's API route, and a failed scheduled backup on the dashboard."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from backups import schedules, services
from backups.models import Backup, BackupSchedule
from backups.tests.conftest import files_in
from backups.tests.support import failing
from lwp.exceptions import LXCError
from operations.models import Event, Operation
from testing.api import assert_error

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def at(*args, zone=UTC):
    return datetime.datetime(*args, tzinfo=zone)


def schedule(frequency="daily", time=datetime.time(3, 0), weekday=None, **fields):
    return BackupSchedule(container="web", frequency=frequency, time=time, weekday=weekday, **fields)


# ----- when a schedule is due ------------------------------------------------------------------


def test_daily_is_today_at_its_time_or_tomorrow_once_passed(settings):
    settings.TIME_ZONE = "UTC"
    assert schedules.next_run_after(schedule(), at(2026, 11, 27, 2, 59)) == at(2026, 11, 27, 3, 0)
    assert schedules.next_run_after(schedule(), at(2026, 11, 27, 3, 0)) == at(2026, 11, 28, 3, 0)
    assert schedules.next_run_after(schedule(), at(2026, 12, 31, 23, 0)) == at(2027, 1, 1, 3, 0)


def test_weekly_is_the_next_such_weekday(settings):
    settings.TIME_ZONE = "UTC"
    friday = at(2026, 11, 27, 12, 0)  # a Friday
    assert schedules.next_run_after(schedule("weekly", weekday=0), friday) == at(2026, 11, 30, 3, 0)  # Monday
    assert schedules.next_run_after(schedule("weekly", weekday=4, time=datetime.time(13, 0)), friday) == \
        at(2026, 11, 27, 13, 0)  # later the same Friday
    assert schedules.next_run_after(schedule("weekly", weekday=4), friday) == at(2026, 12, 4, 3, 0)


def test_the_time_of_day_is_the_panels_time_zone_across_daylight_saving(settings):
    settings.TIME_ZONE = "Europe/Paris"
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    # 03:00 in Paris is 02:00 UTC in winter...
    assert schedules.next_run_after(schedule(), at(2026, 1, 10, 12, 0)) == at(2026, 1, 11, 2, 0)
    # ... and 01:00 UTC in summer; the run after the last winter night is at 03:00 summer time
    assert schedules.next_run_after(schedule(), at(2026, 7, 10, 12, 0)) == at(2026, 7, 11, 1, 0)
    before_switch = at(2026, 3, 28, 12, 0)  # the clocks go forward on the night of 28-29 March
    assert schedules.next_run_after(schedule(), before_switch).astimezone(paris).time() == datetime.time(3, 0)


# ----- the schedule route ----------------------------------------------------------------------


def put(api, token, name, **data):
    return api("PUT", f"/api/v1/containers/{name}/backup-schedule", token=token, data=data)


WEEKLY = {"enabled": True, "frequency": "weekly", "weekday": 6, "time": "04:30", "keep": 3}


@pytest.mark.parametrize("slash", ["", "/"])
def test_who_may_read_and_set_a_schedule(api, tokens, fake_container, slash):
    name = fake_container("sch")
    path = f"/api/v1/containers/{name}/backup-schedule{slash}"
    assert_error(api("GET", path), 401, "unauthorized")
    assert_error(api("GET", path, token=tokens.charlie), 403, "permission_denied")
    unset = api("GET", path, token=tokens.bob).body
    assert (unset["enabled"], unset["frequency"], unset["time"], unset["next_run"]) == (False, "daily", "03:00", None)
    assert_error(api("PUT", path, data=WEEKLY), 401, "unauthorized")
    assert_error(api("PUT", path, token=tokens.bob, data=WEEKLY), 403, "permission_denied")
    assert_error(api("PUT", path, token=tokens.readonly, data=WEEKLY), 403, "permission_denied")
    assert not BackupSchedule.objects.exists()
    saved = api("PUT", path, token=tokens.dave, data=WEEKLY)
    assert saved.status_code == 200, saved.body
    assert (saved.body["frequency"], saved.body["weekday"], saved.body["time"], saved.body["keep"]) == (
        "weekly", 6, "04:30", 3)
    due = datetime.datetime.fromisoformat(saved.body["next_run"].replace("Z", "+00:00"))
    assert due > timezone.now() and due.astimezone(timezone.get_default_timezone()).weekday() == 6
    assert api("GET", path, token=tokens.bob).body["next_run"] == saved.body["next_run"]
    assert Operation.objects.filter(kind="backup_schedule", container=name, status="succeeded").exists()


@pytest.mark.parametrize("change, field", [
    ({"frequency": "hourly"}, "frequency"),
    ({"time": "25:00"}, "time"),
    ({"time": "3pm"}, "time"),
    ({"keep": 0}, "keep"),
    ({"keep": 101}, "keep"),
    ({"weekday": 7}, "weekday"),
    ({"weekday": None}, "weekday"),  # weekly needs one
    ({"enabled": "sometimes"}, "enabled"),
    ({"colour": "blue"}, "colour"),
])
def test_a_bad_schedule_is_400_naming_the_field(api, tokens, fake_container, change, field):
    name = fake_container("sch")
    response = put(api, tokens.dave, name, **{**WEEKLY, **change})
    assert_error(response, 400, "invalid")
    assert field in response.body["fields"]
    assert not BackupSchedule.objects.exists()


def test_a_schedule_for_an_unknown_container_is_404(api, tokens, fake_engine):
    assert_error(put(api, tokens.dave, "no-such-one", **WEEKLY), 404, "not_found")


def test_a_disabled_schedule_never_runs(api, tokens, fake_container):
    name = fake_container("sch")
    put(api, tokens.dave, name, **{**WEEKLY, "enabled": False})
    assert BackupSchedule.objects.get(container=name).next_run is None
    assert schedules.run_due(timezone.now() + datetime.timedelta(days=30)) == []


# ----- the worker's chore ----------------------------------------------------------------------


def due(name, *, keep=7, minutes_ago=1):
    return BackupSchedule.objects.create(container=name, time=datetime.time(3, 0), keep=keep,
                                         next_run=timezone.now() - datetime.timedelta(minutes=minutes_ago))


def test_a_due_schedule_makes_one_backup_and_moves_on(fake_container, backup_dir):
    name = fake_container("sch")
    plan = due(name)
    started = schedules.run_due()
    assert len(started) == 1
    assert schedules.run_due() == []  # called again: nothing more is due
    backup = Backup.objects.get(container=name)
    assert (backup.scheduled, backup.status, backup.created_by, backup.operation_id) == (
        True, "ready", None, started[0].pk)
    plan.refresh_from_db()
    assert plan.next_run > timezone.now() and plan.last_operation_id == started[0].pk
    assert started[0].source == "worker" and started[0].status == "succeeded"
    assert files_in(backup_dir) == [f"{backup.pk}.tar.zst"]


def test_two_workers_reading_the_same_due_schedule_start_it_once(fake_container):
    name = fake_container("sch")
    due(name)
    now = timezone.now()
    mine, theirs = BackupSchedule.objects.get(container=name), BackupSchedule.objects.get(container=name)
    assert [schedules.claim(mine, now), schedules.claim(theirs, now)] == [True, False]


def test_the_chore_skips_a_schedule_another_worker_claimed_meanwhile(fake_container, monkeypatch):
    name = fake_container("sch")
    due(name)
    real_claim = schedules.claim

    def claimed_by_another_first(schedule, now):
        real_claim(BackupSchedule.objects.get(pk=schedule.pk), now)  # the other worker wins
        return real_claim(schedule, now)

    monkeypatch.setattr(schedules, "claim", claimed_by_another_first)
    assert schedules.run_due() == []
    assert not Backup.objects.exists()


def test_only_the_newest_scheduled_backups_are_kept_and_manual_ones_stay(api, tokens, fake_container, backup_dir):
    name = fake_container("sch")
    manual = api("POST", f"/api/v1/containers/{name}/backups", token=tokens.dave, data={}).body["backup"]["id"]
    plan = due(name, keep=2)
    for _ in range(4):
        BackupSchedule.objects.filter(pk=plan.pk).update(next_run=timezone.now())
        assert len(schedules.run_due()) == 1
    scheduled = list(Backup.objects.filter(container=name, scheduled=True))
    assert len(scheduled) == 2
    assert Backup.objects.filter(pk=manual).exists()
    assert sorted(files_in(backup_dir)) == sorted(f"{pk}.tar.zst" for pk in [manual, *(b.pk for b in scheduled)])


def test_a_failed_scheduled_backup_is_an_event_and_shows_on_the_dashboard(client, users, fake_container, fake_engine,
                                                                         backup_dir, monkeypatch):
    name = fake_container("sch")
    monkeypatch.setattr(fake_engine, "export_backup", failing(LXCError("tar failed")))
    plan = due(name)
    [operation] = schedules.run_due()
    operation.refresh_from_db()
    assert operation.status == "failed"
    assert Event.objects.filter(action="container.backup", target=name, outcome="failed",
                                operation=operation.pk).exists()
    assert files_in(backup_dir) == []
    client.force_login(users.bob)
    page = client.get("/").content.decode()
    assert 'id="failed-backups"' in page and f">{name}</a>" in page
    # the next one succeeds: the notice goes
    monkeypatch.delattr(fake_engine, "export_backup")  # the fake's own export again
    BackupSchedule.objects.filter(pk=plan.pk).update(next_run=timezone.now())
    schedules.run_due()
    assert 'id="failed-backups"' not in client.get("/").content.decode()


def test_a_user_who_cannot_view_sees_no_notice(client, users, fake_container, fake_engine, monkeypatch):
    name = fake_container("sch")
    monkeypatch.setattr(fake_engine, "export_backup", failing(LXCError("tar failed")))
    due(name)
    schedules.run_due()
    assert services.failed_schedules(user=users.charlie) == []
    assert services.failed_schedules(user=users.bob) == [name]


def test_the_schedule_of_a_destroyed_container_is_disabled_not_failed_forever(fake_container, fake_engine):
    name = fake_container("sch")
    plan = due(name)
    fake_engine.destroy(name)
    assert schedules.run_due() == []
    plan.refresh_from_db()
    assert (plan.enabled, plan.next_run) == (False, None)
    assert not Backup.objects.exists() and not Operation.objects.exists()
