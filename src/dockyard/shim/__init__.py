"""The per-container supervisor, `dockyard-shim`, and the daemon's side of it.

The daemon uses only two modules: `client` (spawn a shim, then talk to it over
`<dir>/shim.sock`) and `logs` (the log formats the shim writes and the daemon reads).
Everything else runs inside the shim process, which must stay small and quick to start
(stdlib only, no asyncio): `main` (start-up, fork and readiness), `service` (the ops),
`execs`, `process` (init and exec stdio and exits), `server` (connections), `loop` (epoll,
timers, reaping), `stdio`, `runtime` (the runc command line), `protocol` (shared with the
client), `config` (shim.json) and `prctl`.
"""
