"""Small checks shared by the contract's commands; each raises its rule's typed error."""

from __future__ import annotations

from collections.abc import Iterable

from care_contracts.domain.contract.errors import ContractMotivationRequired, GroundsRequired

__all__ = ["require_grounds", "require_text"]


def require_text(value: str | None, field: str, detail: str) -> str:
    """A written reason, motivation, description or evidence: present and not blank."""
    text = (value or "").strip()
    if not text:
        raise ContractMotivationRequired(detail, field=field)
    return text


def require_grounds(grounds: Iterable[str], detail: str) -> tuple[str, ...]:
    """At least one ground code; blanks dropped, duplicates removed, order kept."""
    codes = tuple(dict.fromkeys(g.strip() for g in grounds if g.strip()))
    if not codes:
        raise GroundsRequired(detail)
    return codes
