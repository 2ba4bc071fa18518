"""The 1x1 transparent GIF answered to readers without JavaScript."""

from __future__ import annotations

import base64

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
