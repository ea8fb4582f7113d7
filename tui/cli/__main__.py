"""`python -m tui.cli` is `artifacts-tui` (what the runner starts a stage with, from the same interpreter)."""

import sys

from tui.cli.main import main

sys.exit(main())
