"""Errors of policy selection and rule evaluation."""

from __future__ import annotations

from care_contracts.domain.errors import DomainError

__all__ = [
    "ContractTypeNotInPack",
    "NoPolicyInForce",
    "NoRuleForRoute",
    "PolicyPackMismatch",
    "PolicyPackNotFound",
    "UnknownSubType",
]


class NoPolicyInForce(DomainError):
    code = "no_policy_in_force"
    title = "No policy pack is in force for this insurer, year and care type on that date"


class PolicyPackNotFound(DomainError):
    code = "policy_pack_not_found"
    title = "No policy pack has this id and version"


class PolicyPackMismatch(DomainError):
    code = "policy_pack_mismatch"
    title = "The command names a different policy pack than the one this aggregate is pinned to"


class UnknownSubType(DomainError):
    code = "unknown_sub_type"
    title = "The policy pack has no such care sub-type"


class ContractTypeNotInPack(DomainError):
    code = "contract_type_not_in_pack"
    title = "The policy pack has no such offerable contract type"


class NoRuleForRoute(DomainError):
    code = "no_rule_for_route"
    title = "The policy pack has no signing or start-date rule for this route and contract type"
