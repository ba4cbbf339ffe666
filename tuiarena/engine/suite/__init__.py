"""Suites: reading cases, running them with checks and a judge, requirements, aggregates, cache, baseline."""
