"""One browser connection's app process (started by the server, not by people)."""

from tuiarena.ui.serve.app import main

raise SystemExit(main())
