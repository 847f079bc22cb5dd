"""Every registered command has its roles; auditors, the public and operators change nothing."""

from __future__ import annotations

from care_contracts.services.commands.access import PERMISSIONS, roles_for
from care_contracts.services.commands.handlers import all_handlers
from care_contracts.services.store.metadata import Role


def test_the_permission_table_names_exactly_the_registered_commands() -> None:
    registered = {command.__name__ for command in all_handlers().command_types}

    assert set(PERMISSIONS) == registered


def test_no_command_is_open_to_auditors_the_public_or_operators() -> None:
    for command in all_handlers().command_types:
        assert roles_for(command), command.__name__
        assert not roles_for(command) & {Role.AUDITOR, Role.PUBLIC, Role.OPERATOR}


def test_the_deadline_watcher_may_only_issue_date_driven_commands() -> None:
    system = {c.__name__ for c in all_handlers().command_types if Role.SYSTEM in roles_for(c)}

    assert system == {"ExpireOffer", "EndContract", "FlagCeilingDecisionOverdue"}
