"""``python -m bankchat``."""

from bankchat.cli import main

raise SystemExit(main())
