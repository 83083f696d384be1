"""The dbt project and the DAG folder, carried by the wheel as package data (see ``ingestion.domain.resources``)."""
