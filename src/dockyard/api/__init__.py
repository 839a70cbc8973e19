"""The Engine API HTTP server: one router module per object, errors mapped in errors.py.

`server.make_app(daemon)` builds the aiohttp application; the daemon serves it on its own
listeners (unix sockets, TCP with TLS).
"""
