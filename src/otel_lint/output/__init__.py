"""What a run writes: fixes to files, baselines, and findings in each reporting format."""
