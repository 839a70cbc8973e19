#!/usr/bin/env bash
# Install dockyard, then run the main job: dockyardd on a private data-root and socket, busybox
# imported offline (from Debian's busybox-static), and the real docker CLI running a container
# on it. Everything is removed again at the end, even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh

demo=$(mktemp -d /tmp/dyd.XXXXXX)  # short: unix socket paths hold 108 bytes
export DOCKER_HOST="unix://$demo/docker.sock"
cleanup() {
  docker rm -f demo >/dev/null 2>&1 || true
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
.venv/bin/dockyardd --data-root "$demo/data" --exec-root "$demo/exec" -H "$DOCKER_HOST" \
  --pidfile "$demo/dockyardd.pid" --config-file "$demo/daemon.json" \
  --cgroup-parent "/dockyard-demo-$$" 2>"$demo/dockyardd.log" &
for _ in $(seq 100); do [ -S "$demo/docker.sock" ] && break; sleep 0.1; done

.venv/bin/python - "$demo" <<'PY'
import sys
from pathlib import Path
sys.path.insert(0, ".")
from tests.support.bundles import busybox_rootfs
busybox_rootfs(Path(sys.argv[1]) / "busybox")
PY
tar -C "$demo/busybox" -cf "$demo/busybox.tar" .
docker=/usr/bin/docker
echo "+ docker import busybox.tar busybox"
"$docker" import -c 'CMD ["sh"]' "$demo/busybox.tar" busybox >/dev/null
echo "+ docker run --rm --name demo busybox sh -c '...'"
"$docker" run --rm --name demo --network none busybox \
  sh -c 'echo hello from a dockyard container: $(hostname), pid $$; id'
"$docker" version --format 'served by {{.Server.Version}} (API {{.Server.APIVersion}})'
