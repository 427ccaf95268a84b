"""``python -m benchplan.devices.simbench``: run the simulated bench."""

import sys

from . import main

sys.exit(main())
