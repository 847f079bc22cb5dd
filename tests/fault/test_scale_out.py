"""Scale-out under faults: the proof of ``tests/fault/proof.py`` with short phases.

A 3-node NATS cluster, the local PostgreSQL and two service instances under a steady command
load; the stream's leader node and the relay lease holder are killed and restarted. The proof's
checks (no lost or doubled event, order per aggregate, one winner per conflicting pair, one expiry
per open offer, equal read models) must find nothing; its times are printed, never asserted.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fault.proof import ProofReport, run_proof

pytestmark = [pytest.mark.postgres, pytest.mark.nats, pytest.mark.timeout(600)]

PHASE_S = 5.0
NOT_MEASURED = "not within 60 s"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ProofReport:
    dsn = os.environ.get("CARE_CONTRACTS_TEST_POSTGRES_DSN")
    if not dsn:
        pytest.skip("CARE_CONTRACTS_TEST_POSTGRES_DSN is not set: the proof needs PostgreSQL")
    return run_proof(dsn, Path(tmp_path_factory.mktemp("fault")), phase_s=PHASE_S, workers=4)


def test_the_faults_lose_double_or_reorder_nothing(
    report: ProofReport, report_figures: list[list[str]]
) -> None:
    report_figures.append(report.lines())
    assert report.violations == [], "\n".join(report.lines())
    assert report.figures["events stored"] == report.figures["messages on the stream"]
    assert int(report.figures["events stored"]) > 0


def test_the_stream_gets_a_new_leader_and_the_relay_a_new_holder(report: ProofReport) -> None:
    for figure in (
        "stream leader failover: kill -> new leader (s)",
        "stream leader failover: kill -> stream past the store at the kill (s)",
        "relay takeover: kill -> lease held by the other (s)",
        "relay takeover: kill -> stream past the store at the kill (s)",
    ):
        assert report.figures[figure] != NOT_MEASURED, figure
    assert report.figures["instance starts (a, b)"] in {"2, 1", "1, 2"}  # the holder restarted


def test_commands_are_accepted_before_during_and_after_each_fault(report: ProofReport) -> None:
    assert set(report.rates) == {
        "before the faults",
        "stream leader down, restarting",
        "between the faults",
        "lease holder down, restarting",
        "after the faults",
    }
    assert all(rate > 0 for rate in report.rates.values()), report.rates
