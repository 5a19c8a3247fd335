"""tradeguard: AI for trade enforcement and facilitation, with the guardrails built in.

The package is layered: pure domain logic (``contract``, ``refdata``, ``detectors``,
``screening``, ``model``, ``targeting``, ``governance``, ``decisions``, ``security``) in the
middle; engines, storage, API, web UI and CLI at the edges. Importing it is cheap: nothing
connects, reads files or builds models at import time.
"""

__version__ = "0.1.0"
