"""Lets every test under ``tests/backends`` import the harness modules by plain name.

``tests`` is not a package (pytest runs with ``--import-mode=importlib``), so this folder is put
on ``sys.path`` once: ``import harness``, ``import harness_wandb``, ... then work everywhere below.
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
