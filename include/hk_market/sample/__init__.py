"""Offline sample data, shaped like what the live sources publish."""
