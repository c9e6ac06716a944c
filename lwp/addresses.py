"""Network addresses: what settings and the LXC-Web-Panel import both ask of one (no Django here,
so lwp/settings.py can use it)."""

import ipaddress


def is_loopback(host):
    """True for 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
