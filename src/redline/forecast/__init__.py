"""`redline forecast`: where and when a system breaks, from its model, in SLO terms.

Public API::

    from redline.forecast import forecast
    result = forecast(system, growth=10)      # -> Forecast (pydantic)

The model is an open, layered queueing network over the call graph (see ``docs/forecast.md``):
:mod:`.graph` compiles and validates, :mod:`.queueing` has the single-station formulas, :mod:`.network`
the held-worker sweep, :mod:`.latency` the end-to-end distributions, :mod:`.search` the load and replica
searches, :mod:`.availability` and :mod:`.cost` the rest.
"""

from __future__ import annotations

from redline.forecast.engine import forecast
from redline.forecast.graph import ForecastInputError
from redline.forecast.result import Forecast

__all__ = ["Forecast", "ForecastInputError", "forecast"]
