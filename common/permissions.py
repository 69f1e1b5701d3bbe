"""Re-exported for convenience; the role logic itself lives in ``accounts.permissions``."""

from accounts.permissions import IsAdmin, IsManagerOrAdmin, IsOwnerOrStaff

__all__ = ["IsAdmin", "IsManagerOrAdmin", "IsOwnerOrStaff"]
