"""The engine: runs, suites and saved sessions over providers, scoring and the store. No UI."""
