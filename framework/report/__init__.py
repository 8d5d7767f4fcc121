"""Collection of result records and the comparison report (reads records only)."""
