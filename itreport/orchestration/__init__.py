"""Orchestration: every Airflow task body, the stages of a cycle, and the local runner (``dag.test()``)."""
