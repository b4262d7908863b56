"""`python -m sim.cli`: the `offsim` command."""

import sys

from sim.cli.main import main

sys.exit(main())
