"""Captured spans, metrics and log records as queryable values, with their assertion helpers."""
