"""Saved sessions as results: replay, re-run, diff, and a model's history across sessions."""
