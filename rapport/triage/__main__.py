"""Run ``python -m rapport.triage ...`` (same as ``rapport triage ...``)."""

import sys

from rapport.triage.cli import main

sys.exit(main())
