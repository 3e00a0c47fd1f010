"""`redline review`: rules over the whole system graph."""
