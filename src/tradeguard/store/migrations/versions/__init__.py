"""Revision files, one chain; see ../README.md."""
