"""Data quality with Great Expectations. Import this package's modules inside task functions only:
importing GX costs seconds, and DAG files must parse fast."""
