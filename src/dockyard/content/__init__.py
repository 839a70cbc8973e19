"""Content-addressed blob store: ingest, verify, atomic commit, garbage collection."""
