#!/usr/bin/env bash
# Install dockyard, then the Docker first-run experience with our own CLI: start dockyardd on
# a private data-root and socket, make the busybox image offline (from Debian's
# busybox-static), `dockyard run --rm busybox echo hello`, and show `dockyard ps -a` and
# `dockyard images`. Everything is removed again at the end, even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh

demo=$(mktemp -d /tmp/dyd.XXXXXX)  # short: unix socket paths hold 108 bytes
export DOCKYARD_HOST="unix://$demo/dockyard.sock"
export DOCKYARD_CONFIG="$demo/config"
dockyard=.venv/bin/dockyard
cleanup() {
  "$dockyard" rm -f demo-hello >/dev/null 2>&1 || true
  if [ -f "$demo/dockyardd.pid" ]; then
    kill "$(cat "$demo/dockyardd.pid")" 2>/dev/null || true
    for _ in $(seq 50); do [ -f "$demo/dockyardd.pid" ] || break; sleep 0.1; done
  fi
  umount -R "$demo"/data/snapshots/overlay/*/merged 2>/dev/null || true
  rmdir /sys/fs/cgroup/*/"dockyard-demo-$$" 2>/dev/null || true
  rm -rf "$demo"
}
trap cleanup EXIT

echo '{"live-restore": false}' > "$demo/daemon.json"
.venv/bin/dockyardd --data-root "$demo/data" --exec-root "$demo/exec" -H "$DOCKYARD_HOST" \
  --pidfile "$demo/dockyardd.pid" --config-file "$demo/daemon.json" \
  --cgroup-parent "/dockyard-demo-$$" 2>"$demo/dockyardd.log" &
for _ in $(seq 100); do [ -S "$demo/dockyard.sock" ] && break; sleep 0.1; done

.venv/bin/python - "$demo" <<'PY'
import sys
from pathlib import Path
sys.path.insert(0, ".")
from tests.support.bundles import busybox_rootfs
busybox_rootfs(Path(sys.argv[1]) / "busybox")
PY
tar -C "$demo/busybox" -cf "$demo/busybox.tar" .

show() { echo "+ dockyard $*"; "$dockyard" "$@"; }
show import -c 'CMD ["sh"]' "$demo/busybox.tar" busybox
show run --rm busybox echo hello
show run --name demo-hello busybox sh -c 'echo hello from $(hostname), pid $$; id'
show ps -a
show images
show version --format 'client {{.Client.Version}}, served by dockyardd {{.Server.Version}} (API {{.Server.APIVersion}})'
