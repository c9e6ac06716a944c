"""Which LXC templates the panel vouches for, and the arguments each may be given.

A template runs as root on the host with whatever options it is handed, and most
take options that reach outside the container (busybox --busybox-path runs any
host file; local --metadata loads any host file as the config; download --server
fetches from anywhere). So arguments are allowed per template, by an explicit list
of options and value shapes; a template not listed here takes none.
"""

import re

from lwp.exceptions import InvalidInput

# A plain word: a distribution, release, architecture or variant name ("bookworm", "22.04", "amd64").
_PLAIN_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")

# template -> {long option: value shape}. These are the vetted templates: they read nothing of the
# host's that their user chooses. Anything else (local, oci, a site's own) is for superusers only.
TEMPLATE_OPTIONS = {
    "busybox": {},
    "sshd": {},
    "download": {"--dist": _PLAIN_WORD, "--release": _PLAIN_WORD, "--arch": _PLAIN_WORD,
                 "--variant": _PLAIN_WORD},
}
VETTED_TEMPLATES = frozenset(TEMPLATE_OPTIONS)

MAX_ARGS = 64
MAX_ARG_LENGTH = 4096

# Options liblxc hands every template itself. Even a superuser's arguments to a template the
# panel does not know may not repeat them: getopt keeps the last, so --rootfs=/ would aim the
# template at the host's own root. GNU getopt accepts any unambiguous prefix (--ro=/) and
# clustered short options (-hp/), hence the prefix and letter checks.
_LXC_OWN_LONG_OPTIONS = ("path", "name", "rootfs", "mapped-uid", "mapped-gid")
_LXC_OWN_SHORT_OPTIONS = "pn"


def _refuse(message):
    raise InvalidInput(f"xargs: {message}", fields={"xargs": message})


def _check_list(args):
    if not isinstance(args, (list, tuple)) or not all(isinstance(a, str) for a in args):
        _refuse("must be a list of strings")
    if len(args) > MAX_ARGS:
        _refuse(f"at most {MAX_ARGS} arguments")
    for arg in args:
        if "\x00" in arg or len(arg) > MAX_ARG_LENGTH:
            _refuse(f"each argument must be under {MAX_ARG_LENGTH} characters, without NUL")
    return list(args)


def _allowed_pairs(template, args):
    """The vetted template's (option, value) pairs, or InvalidInput naming what is not allowed."""
    options = TEMPLATE_OPTIONS[template]
    allowed = ", ".join(options) or "none"
    pairs, given, queue = [], set(), list(args)
    while queue:
        arg = queue.pop(0)
        option, has_value, value = arg.partition("=")
        if option not in options:
            _refuse(f"{arg[:60]!r} is not an option the {template} template accepts here "
                    f"(allowed: {allowed})")
        if option in given:
            _refuse(f"{option} is given twice")
        if not has_value:
            if not queue:
                _refuse(f"{option} needs a value")
            value = queue.pop(0)
        if not options[option].fullmatch(value):
            _refuse(f"{option} value {value[:60]!r} is not a plain word (letters, digits, '.', '_', "
                    "'+' or '-', starting with a letter or digit)")
        given.add(option)
        pairs.append((option, value))
    return pairs


def _sets_lxc_own_option(arg):
    if arg.startswith("--"):
        option = arg[2:].split("=", 1)[0]
        return bool(option) and any(own.startswith(option) for own in _LXC_OWN_LONG_OPTIONS)
    return arg.startswith("-") and any(letter in _LXC_OWN_SHORT_OPTIONS for letter in arg[1:])


def _unvetted_args(template, args, trusted):
    if not args:
        return []
    if not trusted:
        _refuse(f"the {template} template takes no arguments here")
    for arg in args:
        if _sets_lxc_own_option(arg):
            _refuse(f"{arg[:40]!r} would override an option LXC sets itself (--path, --name, --rootfs, "
                    "--mapped-uid, --mapped-gid, -p, -n)")
    return list(args)


def allowed_options(template):
    """The options `template` accepts here, or None for a template LWP does not vet."""
    return sorted(TEMPLATE_OPTIONS[template]) if template in TEMPLATE_OPTIONS else None


def validate(template, args, *, trusted=False):
    """The argv to hand `template`, or InvalidInput naming the first argument not allowed.

    trusted (a superuser, already root-equivalent) may give any argument but LXC's own options
    to a template the panel does not vet; vetted templates keep their list for everyone.
    """
    args = _check_list(args)
    if template not in VETTED_TEMPLATES:
        return _unvetted_args(template, args, trusted)
    return [item for pair in _allowed_pairs(template, args) for item in pair]


# What a template prints as it reaches each stage, and how far along that is: a create's
# progress. A template not listed (busybox is done in a second) has none until it finishes.
TEMPLATE_STAGES = {
    "download": (("Downloading the image index", 5), ("Downloading the rootfs", 10),
                 ("Downloading the metadata", 60), ("The image cache is now ready", 65),
                 ("Using image from local cache", 65), ("Unpacking the rootfs", 70)),
}


class _StageProgress:
    """A JobMonitor that also sets progress when the template's output shows a known stage."""

    def __init__(self, stages, monitor):
        self.stages = stages
        self.monitor = monitor
        self.reached = 0

    def output(self, text):
        # Progress first: whoever sees the stage's line in the log sees its progress too.
        percent = max((percent for marker, percent in self.stages if marker in text), default=0)
        if percent > self.reached:
            self.reached = percent
            self.monitor.set_progress(percent)
        self.monitor.output(text)

    def set_progress(self, percent):
        self.monitor.set_progress(percent)

    def should_stop(self):
        return self.monitor.should_stop()


def with_progress(template, monitor):
    stages = TEMPLATE_STAGES.get(template)
    return _StageProgress(stages, monitor) if stages and monitor is not None else monitor
