"""Answering Airflow's human-in-the-loop approvals through Airflow's own REST API, served in this process
(FastAPI's TestClient): what a person does in the UI, for the demo and tests that run DAGs with ``dag.test()``,
where no api-server runs. Production answers in the UI or with ``PATCH …/hitlDetails`` on the api-server.

``[core] simple_auth_manager_all_admins`` is switched on only while the in-process app answers.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

ALL_ADMINS = "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"
APPROVE, REJECT = "Approve", "Reject"


@dataclass(frozen=True)
class Answer:
    dag_id: str
    run_id: str
    task_id: str
    chosen: str
    comment: str


@contextmanager
def _api_client() -> Iterator[object]:
    from airflow.api_fastapi.app import create_app
    from fastapi.testclient import TestClient

    previous = os.environ.get(ALL_ADMINS)
    os.environ[ALL_ADMINS] = "True"
    try:
        with TestClient(create_app("core")) as client:
            yield client
    finally:
        if previous is None:
            os.environ.pop(ALL_ADMINS, None)
        else:
            os.environ[ALL_ADMINS] = previous


def pending(client, dag_id: str) -> list[dict]:
    """Task instances of ``dag_id`` parked for a person's answer."""
    reply = client.get(f"/api/v2/dags/{dag_id}/dagRuns/~/hitlDetails", params={"response_received": "false"})
    reply.raise_for_status()
    return [d["task_instance"] for d in reply.json()["hitl_details"]]


def answer(client, task_instance: dict, chosen: str, comment: str) -> Answer:
    ti = task_instance
    reply = client.patch(
        f"/api/v2/dags/{ti['dag_id']}/dagRuns/{ti['dag_run_id']}/taskInstances/{ti['task_id']}/{ti['map_index']}"
        "/hitlDetails",
        json={"chosen_options": [chosen], "params_input": {"comment": comment}},
    )
    reply.raise_for_status()
    return Answer(ti["dag_id"], ti["dag_run_id"], ti["task_id"], chosen, comment)


@dataclass
class Approver:
    """Answers the first approval ``dag_id`` parks, as a person would: looks at the list of pending approvals
    until one is there, then answers it. ``answers`` holds what it answered.

    The API app is created (and Airflow's models imported) in the caller's thread on ``__enter__``, before the
    DAG runs: importing them in the looking thread while ``dag.test()`` configures the ORM deadlocks on the
    import lock. The looking thread only sends requests."""

    dag_id: str
    chosen: str = APPROVE
    comment: str = ""
    deadline_seconds: float = 900
    answers: list[Answer] = field(default_factory=list)
    error: BaseException | None = None

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"approver-{self.dag_id}", daemon=True)
        self._client_context = _api_client()
        self._client: object | None = None

    def __enter__(self) -> Approver:
        import airflow.models

        airflow.models.import_all_models()
        self._client = self._client_context.__enter__()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._client_context.__exit__(None, None, None)

    def _run(self) -> None:
        try:
            give_up = time.monotonic() + self.deadline_seconds
            while not self._stop.is_set() and time.monotonic() < give_up:
                waiting = pending(self._client, self.dag_id)
                if waiting:
                    self.answers.append(answer(self._client, waiting[0], self.chosen, self.comment))
                    return
                self._stop.wait(1.0)  # a person's look at the list, not a synchronisation
        except BaseException as error:  # reported to the caller through .error
            self.error = error
