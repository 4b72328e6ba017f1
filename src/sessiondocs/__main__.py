"""``python -m sessiondocs``: see sessiondocs.cli."""

import sys

from sessiondocs.cli import main

sys.exit(main())
