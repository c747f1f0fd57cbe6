"""Run Filter Studio as ``python -m filterstudio``."""

from .cli import main

raise SystemExit(main())
