"""Benchmarks: what the stack costs in time and money, each figure beside a floor from the same run."""
