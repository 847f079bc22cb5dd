"""Field types shared by command models: validated by pydantic, so a bad value names its field."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field

__all__ = ["AgbField", "AwareDatetime", "KvkField", "PostcodeField", "RuleCode", "Text"]

AgbField = Annotated[str, Field(pattern=r"^[0-9]{8}$", description="8-digit AGB code")]
KvkField = Annotated[str, Field(pattern=r"^[0-9]{8}$", description="8-digit KvK number")]
PostcodeField = Annotated[
    str,
    Field(pattern=r"^[1-9][0-9]{3} ?[A-Za-z]{2}$", description="Dutch postcode, e.g. 4461 AB"),
]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
RuleCode = Annotated[
    str,
    Field(pattern=r"^[A-Z][A-Z0-9-]*$", max_length=120, description="a policy pack rule code"),
]


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("an instant needs a time zone offset, e.g. 2026-11-11T10:00:00+01:00")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
