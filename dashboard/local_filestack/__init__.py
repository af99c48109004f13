"""The embedded Filestack-compatible service. ``app.py`` assembles it; ARCHITECTURE.md draws its layers."""
