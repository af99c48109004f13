"""The service's settings (one model, read from the environment and ``.env``) and its credentials."""
