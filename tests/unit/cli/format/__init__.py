"""Tests of cli/format: golden strings from the real docker CLI."""
