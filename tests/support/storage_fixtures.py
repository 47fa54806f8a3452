"""Fixtures for the storage tests."""
