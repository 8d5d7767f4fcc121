"""The panel data layer: files and the synthetic world both become one validated Panel."""

from framework.data.panel import OPTIONAL_ROLES, Panel

__all__ = ["Panel", "OPTIONAL_ROLES"]
