"""Intake of agency reports: mailbox reading, classification, parsing, loading raw tables.

Depends only on the standard library, python-docx and psycopg; settings arrive as arguments.
"""
