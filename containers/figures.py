"""Figures formatted exactly as `lxc-info` prints them (API v1 returns these strings).

This mirrors the integer arithmetic of lxc-info's size_humanize() and its
single-precision CPU seconds, so a figure agrees with lxc-info to the last digit.
"""

import struct

_KIB = 1 << 10
_MIB = 1 << 20
_GIB = 1 << 30
_UINT32 = 0xFFFFFFFF


def _float32(value):
    return struct.unpack("f", struct.pack("f", value))[0]


def humanize_bytes(value):
    """'0 bytes', '916.00 KiB', '7.66 MiB', '1.50 GiB' as lxc-info prints; None stays None."""
    if value is None:
        return None
    if value > _GIB:
        whole = (value >> 30) & _UINT32
        fraction = (value & (_GIB - 1)) // 10737419
        return f"{whole}.{fraction:02d} GiB"
    if value > _MIB:
        rounded = (value + 5243) & _UINT32  # lxc-info rounds in an unsigned int
        return f"{rounded >> 20}.{(((rounded & (_MIB - 1)) * 100) & _UINT32) >> 20:02d} MiB"
    if value > _KIB:
        rounded = (value + 5) & _UINT32
        return f"{rounded >> 10}.{(((rounded & (_KIB - 1)) * 100) & _UINT32) >> 10:02d} KiB"
    return f"{value & _UINT32} bytes"


def humanize_cpu_ns(nanoseconds):
    """'0.67 seconds' from cgroup CPU nanoseconds, in lxc-info's float arithmetic."""
    if nanoseconds is None:
        return None
    seconds = _float32(_float32(float(nanoseconds)) / 1000000000.0)
    return f"{seconds:.2f} seconds"
