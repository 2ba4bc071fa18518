"""HealthHub Publish test suite."""
