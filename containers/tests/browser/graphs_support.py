"""A stand-in for the metrics routes in the browser tests: Playwright's page.route() answers them
with figures in the shape of README "Metrics", whatever history the server holds."""

import json
import re

from metrics import series

STEPS = {"hour": 10, "day": 60, "week": 300, "month": 1800, "year": 21600}
POINTS = 60
END = 1764286400
# Each series of the real routes, with its unit.
CONTAINER_SERIES = {name: unit for name, (unit, _) in series.CONTAINER_SERIES.items()}
HOST_SERIES = {name: unit for name, (unit, _) in series.HOST_SERIES.items()}
SCALES = {"percent": 3, "bytes": 1.5 * 2 ** 20, "bytes/s": 1.5 * 2 ** 20}  # else 0.25 (a load)
METRICS = re.compile(r"/metrics\?range=")


def answer(units, range_name, *, empty=False, peaks=False):
    """A metrics answer: a wave with a gap of five points in the middle (or nulls all along); its
    maxima are the averages, or with `peaks` twice them from the day range on."""
    step = STEPS[range_name]
    timestamps = [END - step * (POINTS - 1 - i) for i in range(POINTS)]

    def values(scale, phase):
        return [None if empty or 25 <= i < 30 else scale * (1 + ((i + phase) % 7)) for i in range(POINTS)]

    lists = {name: values(SCALES.get(unit, 0.25), phase) for phase, (name, unit) in enumerate(units.items())}
    highest = lists
    if peaks and range_name != "hour":
        highest = {name: [None if value is None else 2 * value for value in values]
                   for name, values in lists.items()}
    return {"status": "ok", "range": range_name, "step": step, "start": timestamps[0] - step, "end": END,
            "timestamps": timestamps, "series": lists, "units": units, "max": highest}


def stand_in(page, units, *, empty=False, peaks=False, status=200):
    """Answers the page's metrics requests; returns the ranges it asked, in order."""
    asked = []

    def reply(route):
        range_name = re.search(r"range=(\w+)", route.request.url).group(1)
        asked.append(range_name)
        body = answer(units, range_name, empty=empty, peaks=peaks) if status == 200 else {
            "status": "error", "error": "You do not have permission to perform this action.",
            "code": "permission_denied"}
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    page.route(METRICS, reply)
    return asked
