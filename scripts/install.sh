#!/usr/bin/env bash
# Install everything dockyard and its tests need on Debian/Ubuntu, as root: Debian packages
# (runtimes to compare against, busybox for offline images, docker.io for the compat tests)
# and a virtualenv in .venv with the project and its test extras. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  busybox-static   # base images made offline (DESIGN.md §6)
  runc crun        # the reference runtimes our tests and benchmarks compare against
  docker.io        # dockerd + containerd-shim-runc-v2 drive our runtime in tests/compat
  iproute2 procps  # ip netns for namespace tests, ps for `dockyard-runtime ps`
  libseccomp2      # seccomp filters through ctypes
  docker-registry  # distribution v2 on 127.0.0.1 for the registry tests
  skopeo           # an independent registry reader/writer to check our pushes against
  apache2-utils    # htpasswd -B for the registry's basic auth tests
  openssl
  tmux             # interactive terminal tests
  tini             # tini-static is the --init reaper bind-mounted as /sbin/docker-init
  nftables         # nft: the daemon's NAT, isolation and published ports (network/nft.py)
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  missing+=(python3-venv)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || { echo "apt-get update failed" >&2; exit 1; }
  # docker.io's maintainer scripts would start dockerd and containerd on the host; tests start
  # their own, so keep the host's service manager out of it for the length of the install.
  policy=/usr/sbin/policy-rc.d
  made_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && made_policy=1
  fi
  aptlog=$(mktemp)
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$aptlog" 2>&1; then
    [ "$made_policy" = 1 ] && rm -f "$policy"
    tail -n 30 "$aptlog" >&2
    echo "apt-get install failed (${missing[*]})" >&2
    exit 1
  fi
  rm -f "$aptlog"
  [ "$made_policy" = 1 ] && rm -f "$policy"
fi

python3 -c 'import sys; assert sys.version_info >= (3, 11), "dockyard needs Python 3.11+"'
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]' 2>&1 | grep -v '^WARNING: Location' || true
# The CLI's launcher. pip's runs `site` first (.pth files, setuptools' distutils hook: ~2 ms of
# a ~20 ms `dockyard version`); ours starts Python isolated and without `site` and puts the
# package on sys.path itself. The CLI needs nothing outside the stdlib and src/ (DESIGN.md §4:
# its start-up time is a feature). `-IS` is one word: Linux passes a shebang's flags as one.
cat > .venv/bin/dockyard <<LAUNCHER
#!$PWD/.venv/bin/python -IS
import sys
sys.path.insert(0, "$PWD/src")
from dockyard.cli.main import main
sys.exit(main())
LAUNCHER
chmod 0755 .venv/bin/dockyard
# Byte-compile now: with PYTHONDONTWRITEBYTECODE set (as on some machines) every runtime start
# would otherwise compile our modules again, and the runtime's start-up time is a feature.
.venv/bin/python -m compileall -q src >/dev/null
.venv/bin/python -c 'import dockyard' # the install must have worked
