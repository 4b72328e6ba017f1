"""A small app for livebase's benchmarks: one table of items with two indexes."""
