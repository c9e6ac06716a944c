"""The words every surface and every engine share: container names, states, and what each state allows.

Surfaces (API, pages, admin, filters) and engines both import this module; neither
imports the other for it. Figures formatted as lxc-info prints them are in figures.py.
"""

import re

from lwp.exceptions import InvalidInput, InvalidName

NAME_MAX = 64
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")

# Container states, upper case as liblxc says them.
STATES = ("STOPPED", "STARTING", "RUNNING", "STOPPING", "ABORTING", "FREEZING", "FROZEN", "THAWED")
# A container whose config cannot be loaded is listed with this state.
BROKEN = "BROKEN"
# States in which a container has processes (and figures, addresses, a console).
ACTIVE_STATES = ("RUNNING", "FROZEN")

POWER_ACTIONS = ("start", "stop", "freeze", "unfreeze", "restart")
# The longest graceful shutdown a stop or restart may ask for (seconds), and LWP_STOP_TIMEOUT's maximum.
MAX_STOP_TIMEOUT = 3600
# The one table of which power action each state allows: engines refuse the rest, pages offer only these.
ACTIONS_BY_STATE = {
    "STOPPED": ("start",),
    "RUNNING": ("stop", "restart", "freeze"),
    "FROZEN": ("unfreeze", "stop", "restart"),
    BROKEN: (),
}
# A container caught between states (STARTING, STOPPING, ...) can still be stopped: it may be stuck there.
_BETWEEN_STATES_ACTIONS = ("stop",)


def allowed_actions(state):
    """The power actions a container in `state` accepts."""
    return ACTIONS_BY_STATE.get(state, _BETWEEN_STATES_ACTIONS)


# A console into a running container: "shell", a login shell as root in it; "tty", its own console.
CONSOLE_MODES = ("shell", "tty")


def validate_console_mode(mode):
    if not isinstance(mode, str) or mode not in CONSOLE_MODES:
        shown = mode[:80] if isinstance(mode, str) else type(mode).__name__
        message = f"{shown!r} is not a console mode; choose one of: {', '.join(CONSOLE_MODES)}"
        raise InvalidInput(f"mode {message}", fields={"mode": message})
    return mode


def validate_name(name, field="name"):
    """A container name as LWP accepts it: also a valid hostname label and file name."""
    if not isinstance(name, str) or not name:
        raise InvalidName(f"{field} is required", fields={field: "is required"})
    # fullmatch: with match(), "$" would also accept a trailing newline ("web\n").
    if len(name) > NAME_MAX or not _NAME.fullmatch(name) or name.endswith("."):
        message = (f"must be 1 to {NAME_MAX} characters: letters, digits, '.', '_' or '-', "
                   "starting with a letter or digit")
        raise InvalidName(f"{field} {name[:80]!r} is not a valid container name: {message}",
                          fields={field: message})
    return name


# Snapshots are named by liblxc itself, snap0, snap1...: nothing else is ever a snapshot's name.
_SNAPSHOT_NAME = re.compile(r"snap[0-9]{1,9}")
SNAPSHOT_COMMENT_MAX = 1000
SNAPSHOT_ACTIONS = ("restore",)  # what POST .../snapshots/<snapshot> does


def validate_snapshot_name(snapshot):
    if not isinstance(snapshot, str) or not _SNAPSHOT_NAME.fullmatch(snapshot):
        shown = snapshot[:40] if isinstance(snapshot, str) else type(snapshot).__name__
        raise InvalidInput(f"{shown!r} is not a snapshot name (snap0, snap1...)",
                           fields={"snapshot": "must be a snapshot's name: snap0, snap1..."})
    return snapshot


def validate_snapshot_comment(comment):
    """A snapshot's comment: plain text of at most SNAPSHOT_COMMENT_MAX characters."""
    if not isinstance(comment, str) or len(comment) > SNAPSHOT_COMMENT_MAX or "\0" in comment:
        message = f"must be text of at most {SNAPSHOT_COMMENT_MAX} characters"
        raise InvalidInput(f"comment {message}", fields={"comment": message})
    return comment
