"""views: counts page views exactly and privately; owns the views database and Redis buffers."""
