"""A Decimal in an event comes back a Decimal, also where the field is ``Decimal | bool | str``."""

from __future__ import annotations

import json
from decimal import Decimal

from care_contracts.domain.application.aggregate import ProviderApplication
from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.domain.policy.model import PackRef
from care_contracts.domain.policy.rules import Fact
from care_contracts.services.store.codec import decode_event, encode_event
from tests.unit.application.conftest import at, under_assessment


def test_a_decimal_metric_replays_as_a_decimal_with_its_exponent_not_as_a_string(
    catalog: PolicyCatalog,
) -> None:
    pack = catalog.get(PackRef(id="zz-2027-msz", version="1.1"))
    application = under_assessment(pack)
    application.collect_events()
    metrics: dict[str, Fact] = {"specialist_fte": Decimal("1.50"), "quality_certificate": "hkz"}
    application.record_metrics(pack=pack, metrics=metrics, evidence="x", at=at(2027, 3, 20))
    [recorded] = application.collect_events()
    assert type(recorded).__qualname__ == "ProviderApplication.MetricsRecorded"
    assert isinstance(recorded, ProviderApplication.Event)

    stored = json.loads(json.dumps(encode_event(recorded)))
    replayed = decode_event(
        type(recorded), stored, recorded.originator_id, recorded.originator_version
    )

    assert replayed.metrics == getattr(recorded, "metrics")  # noqa: B009 - a generated event
    fte = dict(replayed.metrics)["specialist_fte"]
    assert type(fte) is Decimal
    assert fte.as_tuple() == Decimal("1.50").as_tuple()
    assert dict(replayed.metrics)["quality_certificate"] == "hkz"
