"""The commands that open a console into a running container (LXCEngine.console_command).

Both are argv lists for containers.console.ConsoleSession to run under a pseudo-terminal on the
host; nothing of a request is in them but the container's name, already validated.

- shell: `lxc-attach --clear-env`, so no variable of the server's (LWP_*, DJANGO_*, its secrets)
  reaches the container; lxc-attach keeps only PATH and container=lxc, and gives the command a
  pseudo-terminal of the container's own when its input is a terminal. The command is the
  container's /bin/sh running LOGIN_SCRIPT inside the container.
- tty: `lxc-console -t 0`, the container's /dev/console (busybox's inittab runs an `askfirst`
  root shell there: Enter activates it). `-e -1` turns off lxc-console's Ctrl+a q escape, which a
  browser terminal would otherwise send by accident (Ctrl+a begins a line in every shell): the
  session ends when its owner closes it. liblxc admits one client on tty 0 at a time: a second
  lxc-console ends at once, status 1, printing "Denied access to tty". There is no ring buffer
  (lxc.console.buffer.size is 0): a client sees what the console prints from when it connects.
"""

import shutil

from lwp.exceptions import LXCUnavailable

TERM = "xterm-256color"
# Where the LXC tools are looked for: fixed, not the server's PATH.
TOOLS_PATH = "/usr/local/bin:/usr/bin:/bin"
# Run by the container's /bin/sh, inside it: root's login shell and home from the container's
# /etc/passwd (else /bin/sh in /root), with HOME, SHELL, USER and LOGNAME set, as a login shell.
# Not `su -l`: that runs the container's PAM stack, whose session modules (pam_systemd waiting on
# a logind, say) can stall a console that should open at once; the passwd entry gives the same
# home, shell and variables. `exec`: the shell's exit ends the session.
LOGIN_SCRIPT = (
    'home=/root shell=/bin/sh; '
    'if [ -r /etc/passwd ]; then while IFS=: read -r user _ _ _ _ dir login; do '
    'if [ "$user" = root ]; then home=${dir:-/root} shell=${login:-/bin/sh}; break; fi; '
    'done < /etc/passwd; fi; '
    '[ -x "$shell" ] || shell=/bin/sh; '
    'cd "$home" 2>/dev/null || cd /; '
    'export HOME="$home" SHELL="$shell" USER=root LOGNAME=root; '
    'exec "$shell" -l'
)


def tool(name):
    """The absolute path of an LXC tool, or LXCUnavailable."""
    path = shutil.which(name, path=TOOLS_PATH)
    if path is None:
        raise LXCUnavailable(f"{name} is not installed on this host (package lxc)")
    return path


def shell_command(lxcpath, name):
    return [tool("lxc-attach"), "-P", lxcpath, "-n", name, "--clear-env",
            "--set-var", f"TERM={TERM}", "--set-var", "HOME=/root",
            "--", "/bin/sh", "-c", LOGIN_SCRIPT]


def tty_command(lxcpath, name):
    return [tool("lxc-console"), "-P", lxcpath, "-n", name, "-t", "0", "-e", "-1"]


COMMANDS = {"shell": shell_command, "tty": tty_command}


def console_command(lxcpath, name, mode):
    """The argv of console `mode` (one of vocabulary CONSOLE_MODES, checked by the caller)."""
    return COMMANDS[mode](lxcpath, name)
