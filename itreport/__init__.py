"""The product's command-line entry points, orchestration, notifications and reports."""
