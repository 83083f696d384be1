"""The shared domain every package imports: periods and the deadline rule, the indicator catalogue, the registry
of reporting units, and the records that cross module boundaries."""
