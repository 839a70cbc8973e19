"""dockyard: the Docker platform, written in Python.

Packages follow ../shared/DESIGN.md §2; this top-level module stays empty so that importing
any sub-package (the runtime, the shim, the CLI) costs nothing extra.
"""

__version__ = "0.1.0"
