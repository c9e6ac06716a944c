"""LWP's errors: a stable code each, a status for each code in the API, and they survive a pickle."""

import pickle

import pytest

from lwp import exceptions
from lwp.api.exception_handler import STATUS_BY_CODE

ERRORS = [kind for kind in vars(exceptions).values()
          if isinstance(kind, type) and issubclass(kind, exceptions.LWPError) and kind is not exceptions.LWPError]


@pytest.mark.parametrize("kind", ERRORS, ids=lambda kind: kind.__name__)
def test_every_error_code_has_an_api_status(kind):
    assert kind.code in STATUS_BY_CODE


@pytest.mark.parametrize("kind", ERRORS, ids=lambda kind: kind.__name__)
def test_errors_cross_the_liblxc_worker_whole(kind):
    # A liblxc call runs in a forked child: its error comes back pickled.
    error = kind("went wrong", fields={"name": "is bad"})
    if isinstance(error, exceptions.LXCError):
        error = kind("went wrong", fields={"name": "is bad"}, output="last lines")
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), str(again), again.code, again.fields) == (kind, "went wrong", kind.code, {"name": "is bad"})
    assert getattr(again, "output", None) == getattr(error, "output", None)


def test_errors_know_nothing_of_http():
    assert not any(hasattr(kind, "status") for kind in ERRORS)
