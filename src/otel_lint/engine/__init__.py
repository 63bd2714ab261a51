"""Files in, findings out: one file's analysis, the merged search, limits, suppressions, workers."""
