"""``python -m autodiff ...``: see :mod:`autodiff.cli`."""

import sys

from .cli import main

sys.exit(main())
