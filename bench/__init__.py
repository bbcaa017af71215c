"""Benchmarks (``make bench``): figures beside the raw database limits of the same run."""
