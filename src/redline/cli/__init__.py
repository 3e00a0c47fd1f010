"""Command-line wrappers. Nothing outside this package imports it."""
