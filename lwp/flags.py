"""Yes/no words: one rule for environment variables, query parameters and container settings."""

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


def parse_flag(value):
    """True or False from a bool or a yes/no word (any case, surrounding spaces ignored).

    Anything else raises ValueError; each caller words its own refusal.
    """
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{str(value)[:40]!r} is not a yes/no word")
