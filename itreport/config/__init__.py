"""Configuration (environment variables, nothing else reads the environment) and the warehouse connection."""
