#!/bin/sh
# A stand-in for LXC's download template, for the operations tests: it prints the download
# template's stage lines, then waits for the test to open its gate (a file named open-NAME
# beside it) before it makes a busybox container. So a test sees a create while it runs.
name=""
previous=""
for arg in "$@"; do
    case "$arg" in
        --name=*) name="${arg#--name=}" ;;
    esac
    [ "$previous" = "--name" ] && name="$arg"
    previous="$arg"
done
here="$(dirname "$0")"
echo "Downloading the image index"
echo "Downloading the rootfs"
waited=0
while [ ! -e "$here/open-$name" ] && [ "$waited" -lt 600 ]; do
    sleep 0.1
    waited=$((waited + 1))
done
echo "Unpacking the rootfs"
exec /usr/share/lxc/templates/lxc-busybox "$@"
