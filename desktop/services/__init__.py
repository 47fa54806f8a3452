"""State and orchestration: services emit Qt signals, views listen."""
