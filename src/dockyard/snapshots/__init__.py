"""Layer snapshots: safe layer unpacking, the overlayfs snapshotter, diffs back to layers."""
