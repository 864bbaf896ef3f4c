"""`python -m connector.cli`: the same as the `milepost` console script."""

import sys

from connector.cli import main

sys.exit(main())
