"""``python -m livebase``: the same as the ``livebase`` command."""

from livebase.cli import main

raise SystemExit(main())
