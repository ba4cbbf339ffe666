"""Every rendering of results for people and scripts: markdown, csv, json, html. No textual or rich."""
