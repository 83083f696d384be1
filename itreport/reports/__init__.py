"""Documents and figures read from the marts: period compliance now, the monthly and annual reports next."""
