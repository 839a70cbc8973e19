"""dockyard-runtime: an OCI runtime with runc's command line.

The CLI (main.py, commands/) only parses arguments; the work happens in small modules named for
the part of the runtime-spec they implement: config (config.json), state (the state dir),
namespaces, rootfs, process, capabilities, seccomp, cgroups, hooks, console, and init (the
ordered chain that turns a forked child into the container's PID 1).

Import discipline (DESIGN.md §4): the runtime imports only the stdlib and its own package, and
imports lazily what a command does not need, because its start-up time is a feature.
"""
