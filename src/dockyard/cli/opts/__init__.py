"""Container configuration from `run` / `create` flags: docker's cli/command/container/opts.go."""
