from tuiarena.cli import main

raise SystemExit(main())
