"""rawi's benchmarks: scripts that print figures and write them to bench/results/ (see bench/RESULTS.md)."""
