"""``python -m skfusion``: the ``skfusion`` command (see ``skfusion._cli``)."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
