"""``python -m claimstats`` is the ``claimstats`` command."""

import sys

from claimstats.cli import main

sys.exit(main())
