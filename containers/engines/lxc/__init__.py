"""The liblxc engine (engine.LXCEngine): the only package that imports `lxc` (python3-lxc)."""
