"""Renderers: turn engine results (review reports, forecasts, load results) into text, JSON, SARIF, Markdown."""
