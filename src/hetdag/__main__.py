"""``python -m hetdag`` runs the command line (see :mod:`hetdag.cli`)."""

import sys

from .cli import main

sys.exit(main())
