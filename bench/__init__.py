"""Benchmark of the DunOps DNS engine against octoDNS 1.22 and dnspython (``make bench``)."""
