"""The HealthHub services; each sub-package is a room of its own."""
