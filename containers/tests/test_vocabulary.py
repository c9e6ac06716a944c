"""The shared vocabulary: one table of actions per state, which the engine and the pages both follow."""

import re

import pytest

from containers.templatetags.panel import action_buttons
from containers.vocabulary import ACTIONS_BY_STATE, POWER_ACTIONS, STATES, allowed_actions


def offered_buttons(state):
    return re.findall(r'value="(\w+)"', action_buttons(state, "web"))


@pytest.mark.parametrize("state", [*STATES, "BROKEN"])
def test_the_page_offers_exactly_the_actions_the_state_allows(state):
    assert offered_buttons(state) == list(allowed_actions(state))


def test_a_container_stuck_between_states_can_still_be_stopped():
    for state in ("STARTING", "STOPPING", "ABORTING", "FREEZING", "THAWED"):
        assert allowed_actions(state) == ("stop",)


def test_every_action_is_allowed_somewhere_and_a_broken_container_allows_none():
    assert {action for actions in ACTIONS_BY_STATE.values() for action in actions} == set(POWER_ACTIONS)
    assert allowed_actions("BROKEN") == ()


def test_button_titles_escape_the_name():
    assert "<b>" not in action_buttons("STOPPED", "<b>")
