#!/usr/bin/env python3
import os
import sys

if __name__ == "__main__":
    from lwp.datadir import use_private_umask

    use_private_umask()  # before the settings create the data dir: what commands write is root's alone
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lwp.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
