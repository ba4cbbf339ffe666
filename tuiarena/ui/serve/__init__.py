"""``tuiarena serve``: the app in a browser through textual-serve (server.py: the guarded web
server; app.py: the arena-mode app each browser connection runs in its own process)."""
