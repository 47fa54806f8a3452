"""Fixtures for the generation tests."""
