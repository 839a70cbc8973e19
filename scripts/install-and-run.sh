#!/usr/bin/env bash
# Install dockyard, then run the main job: a busybox container from an OCI bundle, made
# offline from Debian's busybox-static, under dockyard-runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh

demo=$(mktemp -d /tmp/dockyard-demo.XXXXXX)
trap '.venv/bin/dockyard-runtime --root "$demo/state" delete --force demo >/dev/null 2>&1 || true; rm -rf "$demo"' EXIT
.venv/bin/python - "$demo" <<'PY'
import json, sys
from pathlib import Path
sys.path.insert(0, ".")
from tests.support.bundles import base_config, busybox_rootfs, make_bundle
demo = Path(sys.argv[1])
rootfs = busybox_rootfs(demo / "busybox")
cfg = base_config(["sh", "-c", "echo hello from a dockyard container: $(hostname), pid $$; id"])
make_bundle(demo, rootfs, cfg)
PY
echo "+ dockyard-runtime run --bundle $demo/bundle demo"
.venv/bin/dockyard-runtime --root "$demo/state" run --bundle "$demo/bundle" demo
