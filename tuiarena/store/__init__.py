"""Files on disk: config, UI state, sessions, pricing, paths. The bottom layer beside model."""
