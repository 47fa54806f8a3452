"""Loopback servers and fixtures the tests share."""
