"""LXC-Web-Panel's lwp.conf, read for `manage.py importlwp --conf`: which of its settings have an
equivalent here, and as what. Reports only: nothing here is changed.

Values are shown only for the settings we map; a key with no equivalent is named, never its
value (its [ldap] section holds a bind password).
"""

import configparser
from dataclasses import dataclass

from lwp.addresses import is_loopback
from lwp.exceptions import InvalidInput
from lwp.flags import parse_flag

LXCPATH_KEYS = ("lxcpath", "lxc_path", "lxc.lxcpath")


@dataclass(frozen=True)
class Equivalent:
    setting: str  # its setting, as "[section] key"
    here: str  # what does that here


def read_conf(path):
    """(equivalents, names of its settings with none); InvalidInput when it is not an INI file."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            parser.read_file(fh)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read it ({exc.strerror})") from None
    except configparser.Error as exc:
        raise InvalidInput(f"{path} is not an lwp.conf: {exc.message.splitlines()[0]}") from None
    found, mapped = [], set()
    for section, keys, here in _mappings(parser):
        found.append(Equivalent(setting=", ".join(f"[{section}] {key}" for key in keys), here=here))
        mapped.update((section, key) for key in keys)
    others = [f"[{section}] {key}" for section in parser.sections() for key in parser[section]
              if (section, key) not in mapped]
    return found, others


def _mappings(parser):
    """(section, keys, what does it here) for each of its settings that has an equivalent."""
    conf = {(section, key): parser[section][key] for section in parser.sections() for key in parser[section]}
    address, port = conf.get(("global", "address")), conf.get(("global", "port"))
    if address and port:
        yield "global", ("address", "port"), _bind(address.strip(), port.strip())
    ssl = _flag(conf.get(("global", "ssl")))
    if ssl is not None:
        yield "global", ("ssl",), "LWP_TLS=on" if ssl else (
            "LWP_TLS=off: plain HTTP as before (by default LWP speaks HTTPS beyond loopback)")
        if ssl:
            for key, setting in (("cert", "LWP_TLS_CERT"), ("pkey", "LWP_TLS_KEY")):
                if conf.get(("global", key)):
                    yield "global", (key,), f"{setting}={conf['global', key].strip()}"
    debug = _flag(conf.get(("global", "debug")))
    if debug is not None:
        yield "global", ("debug",), f"LWP_DEBUG={'true (never on a reachable host)' if debug else 'false'}"
    if conf.get(("global", "auth"), "").strip() == "database":
        yield "global", ("auth",), "LWP's own accounts: those of its database, once imported"
    if conf.get(("database", "file")):
        yield "database", ("file",), f"the file to import: manage.py importlwp {conf['database', 'file'].strip()}"
    for (section, key), value in conf.items():
        if key in LXCPATH_KEYS and value.strip():
            yield section, (key,), f"LWP_LXC_PATH={value.strip()}"


def _bind(address, port):
    host = f"[{address}]" if ":" in address else address
    here = f"LWP_BIND={host}:{port}"
    if not is_loopback(address):
        here += " (beyond loopback LWP speaks HTTPS: see LWP_TLS)"
    return here


def _flag(raw):
    try:
        return None if raw is None else parse_flag(raw)
    except ValueError:
        return None
