"""The service's HTTP layer: one module of endpoints per Filestack host, and what they share (auth, errors, delivery, URLs)."""
