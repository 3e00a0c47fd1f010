"""Renderers: turn engine results (scans, reviews, forecasts, load runs) into text, JSON, SARIF, HTML."""
