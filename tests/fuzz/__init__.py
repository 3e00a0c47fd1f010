"""Fuzzing redline's CLI with mutated real and generated inputs (marker ``fuzz``)."""
