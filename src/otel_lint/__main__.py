"""``python -m otel_lint``: the console script, for when only the interpreter's path is known."""

import sys

from otel_lint.cli import main

sys.exit(main())
