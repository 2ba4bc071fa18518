"""What the HealthHub services share: message contracts, settings, database and error helpers."""
