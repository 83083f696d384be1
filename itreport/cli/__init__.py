"""``itreport``: the command line (thin commands over query functions)."""
