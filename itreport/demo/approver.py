"""Answering Airflow's human-in-the-loop approvals on a person's behalf, in this process (``make run`` and tests).

It calls the same REST API a person's browser calls (``GET …/hitlDetails?response_received=false`` then ``PATCH
…/hitlDetails`` with the chosen option and the comment), on Airflow's API app served in-process (FastAPI's
TestClient, no port), authenticated with a token for ``user``, while ``dag.test()`` runs in the main thread and waits
for the answer. Production never uses this: there a staff member answers in the Airflow UI.

The app is built in the calling thread before the DAG runs (importing Airflow's models from two threads at once
deadlocks); the answer is sent only once the task shows ``awaiting_input``. :func:`run_annual_evaluation` (in
:mod:`itreport.demo.annual`) and ``make run``'s ``government_report`` runs both answer through :class:`HitlResponder`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

POLL_SECONDS = 0.5
GIVE_UP_SECONDS = 900.0
APPROVE, REJECT = "Approve", "Reject"  # ApprovalOperator's options


@dataclass(frozen=True)
class Answered:
    """One approval answered: which task instance, with what."""

    dag_id: str
    run_id: str
    task_id: str
    chosen: str
    comment: str
    response: dict[str, Any]  # the API's response


@dataclass
class Answer:
    dag_id: str
    option: str  # APPROVE or REJECT
    comment: str = ""
    answered: list[Answered] = field(default_factory=list)
    error: str | None = None


class HitlResponder:
    """The Airflow REST API in-process, with a token for ``user`` (an admin of the simple auth manager)."""

    def __init__(self, user: str) -> None:
        # The in-process app needs no login: with "all admins" the simple auth manager creates no users, so it never
        # generates (and prints) a password; requests still carry the token for ``user``, who is recorded as the
        # person who answered.
        os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] = "true"
        import airflow.models
        from airflow.api_fastapi.app import create_app, get_auth_manager
        from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
        from fastapi.testclient import TestClient

        airflow.models.import_all_models()
        self.client = TestClient(create_app("core"))
        token = get_auth_manager().generate_jwt(SimpleAuthManagerUser(username=user, role="ADMIN"))
        self.headers = {"Authorization": f"Bearer {token}"}
        self.pending(None)  # warm the routes and the ORM in this thread

    def pending(self, dag_id: str | None) -> list[dict[str, Any]]:
        params = {"response_received": "false"} | ({"dag_id_pattern": dag_id} if dag_id else {})
        response = self.client.get("/api/v2/dags/~/dagRuns/~/hitlDetails", params=params, headers=self.headers)
        response.raise_for_status()
        return list(response.json().get("hitl_details", []))

    def respond(self, detail: dict[str, Any], option: str, comment: str) -> Answered:
        ti = detail["task_instance"]
        url = (
            f"/api/v2/dags/{ti['dag_id']}/dagRuns/{ti['dag_run_id']}/taskInstances/{ti['task_id']}/"
            f"{ti.get('map_index', -1)}/hitlDetails"
        )
        params_input = {"comment": comment} if "comment" in (detail.get("params") or {}) else {}
        response = self.client.patch(
            url, json={"chosen_options": [option], "params_input": params_input}, headers=self.headers
        )
        response.raise_for_status()
        return Answered(ti["dag_id"], ti["dag_run_id"], ti["task_id"], option, comment, dict(response.json()))

    def _answer(self, answer: Answer, stop: threading.Event) -> None:
        deadline = time.monotonic() + GIVE_UP_SECONDS
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                waiting = [
                    d
                    for d in self.pending(answer.dag_id)
                    if d["task_instance"]["dag_id"] == answer.dag_id and d["task_instance"]["state"] == "awaiting_input"
                ]
                for detail in waiting:
                    answer.answered.append(self.respond(detail, answer.option, answer.comment))
                if waiting:
                    return
                stop.wait(POLL_SECONDS)
        except Exception as error:  # reported to the caller, who fails with it
            answer.error = f"{type(error).__name__}: {error}"

    @contextmanager
    def answering(self, dag_id: str, option: str, comment: str = "") -> Iterator[Answer]:
        """While the block runs (a ``dag.test()``), answer the first approval ``dag_id`` waits for."""
        answer = Answer(dag_id, option, comment)
        stop = threading.Event()
        worker = threading.Thread(target=self._answer, args=(answer, stop), name="hitl-responder", daemon=True)
        worker.start()
        try:
            yield answer
        finally:
            stop.set()
            worker.join()
