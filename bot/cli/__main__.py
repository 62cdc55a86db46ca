"""`python -m bot.cli …`, as the `junxiu` script."""

import sys

from bot.cli import main

sys.exit(main())
