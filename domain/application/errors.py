"""Why a ProviderApplication command is refused: one error per broken rule, each a stable code.

Codes are prefixed ``application_`` so they stay unique across aggregates. A refused command
records nothing.
"""

from __future__ import annotations

from care_contracts.domain.errors import DomainError

__all__ = [
    "ApplicantRoleNotAllowed",
    "ApplicationNotApproved",
    "ApplicationNotComplete",
    "ApplicationWindowClosed",
    "CommandNotAllowedInState",
    "ContractTypeNotApplicable",
    "ContractTypeNotEligible",
    "ContractTypeRouteMismatch",
    "EligibilityMetricMissing",
    "EvidenceRequired",
    "ExclusionGroundDoesNotApply",
    "ExclusionGroundNotAssessed",
    "ExclusionGroundNotInPack",
    "ExclusionGroundPresent",
    "FactContradictsRecordedMetric",
    "FactDateRequired",
    "GeneralPackNotApplicable",
    "HardOutcomeContradictsPredicate",
    "HardRequirementEvidenceMissing",
    "IncompleteReasonRequired",
    "IntegrityGroundFollowsInvestigation",
    "IntegrityInvestigationAlreadyOpen",
    "IntegrityInvestigationOpen",
    "InvalidMetricValue",
    "MetricNotReadByPack",
    "MetricsRequired",
    "MotivationRequired",
    "NoOpenIntegrityInvestigation",
    "NotApplicableNotAllowed",
    "OriginDoesNotFitRoute",
    "OutcomeRequired",
    "PackDoesNotCoverApplication",
    "PackNotInForceOnReceipt",
    "ReasonNeedsRuleCode",
    "ReasonNotBackedByAssessment",
    "RejectionReasonRequired",
    "RequirementDoesNotApply",
    "RequirementNotAssessed",
    "RequirementNotInPack",
    "RequirementNotMet",
    "RouteTakesNoApplication",
    "UnknownRuleCode",
]


# --- the state diagram -------------------------------------------------------------------------


class CommandNotAllowedInState(DomainError):
    code = "application_command_not_allowed_in_state"
    title = "The application's state does not allow this command (brief §4.2 diagram)"


class ApplicationNotApproved(DomainError):
    code = "application_not_approved"
    title = "Only an approved application hands an assessment to an offer"


# --- submission ----------------------------------------------------------------------------------


class GeneralPackNotApplicable(DomainError):
    code = "application_general_pack_not_applicable"
    title = "A general policy is inherited, never applied for: pass the care-type pack"


class PackDoesNotCoverApplication(DomainError):
    code = "application_pack_scope_mismatch"
    title = "The policy pack is for another insurer, year or care type"


class PackNotInForceOnReceipt(DomainError):
    code = "application_pack_not_in_force_on_receipt"
    title = "The policy pack was not yet in force on the day of receipt"


class ApplicationWindowClosed(DomainError):
    code = "application_window_closed"
    title = "The application was received outside the pack's application window"


class ApplicantRoleNotAllowed(DomainError):
    code = "application_applicant_role_not_allowed"
    title = "The pack accepts applications only from certain roles"


class RouteTakesNoApplication(DomainError):
    code = "application_route_takes_no_application"
    title = "A running contract gets a new annex without an application (brief §4.1)"


class OriginDoesNotFitRoute(DomainError):
    code = "application_origin_does_not_fit_route"
    title = "The application route comes from a provider, the annual round from the insurer"


# --- recording the assessment --------------------------------------------------------------------


class MotivationRequired(DomainError):
    code = "application_motivation_required"
    title = "An officer's judgement needs a written motivation"


class EvidenceRequired(DomainError):
    code = "application_evidence_required"
    title = "An assessment names the evidence it rests on"


class OutcomeRequired(DomainError):
    code = "application_outcome_required"
    title = "A soft requirement needs the officer's outcome"


class RequirementNotInPack(DomainError):
    code = "application_requirement_not_in_pack"
    title = "The requirement is not in the application's policy pack chain"


class RequirementDoesNotApply(DomainError):
    code = "application_requirement_does_not_apply"
    title = "The requirement does not apply to this application"


class HardRequirementEvidenceMissing(DomainError):
    code = "application_hard_requirement_evidence_missing"
    title = "A hard requirement is evaluated from facts, and a fact it reads is missing"


class HardOutcomeContradictsPredicate(DomainError):
    code = "application_hard_outcome_contradicts_predicate"
    title = "An officer cannot override a hard requirement's evaluation, only supply new evidence"


class NotApplicableNotAllowed(DomainError):
    code = "application_requirement_not_applicable_not_allowed"
    title = "This hard requirement cannot be marked not applicable"


class ExclusionGroundNotInPack(DomainError):
    code = "application_exclusion_ground_not_in_pack"
    title = "The exclusion ground is not in the application's policy pack chain"


class ExclusionGroundDoesNotApply(DomainError):
    code = "application_exclusion_ground_does_not_apply"
    title = "The exclusion ground does not apply to this application"


class FactDateRequired(DomainError):
    code = "application_fact_date_required"
    title = "A present fact on a ground with a look-back needs its fact date"


class FactContradictsRecordedMetric(DomainError):
    code = "application_fact_contradicts_recorded_metric"
    title = "Evidence facts may not contradict an officer-confirmed metric: record new metrics"


class IntegrityGroundFollowsInvestigation(DomainError):
    code = "application_integrity_ground_follows_investigation"
    title = "The integrity exclusion ground follows from an investigation's advice only"


class MetricsRequired(DomainError):
    code = "application_metrics_required"
    title = "Recording metrics needs at least one metric"


class MetricNotReadByPack(DomainError):
    code = "application_metric_not_read_by_pack"
    title = "No rule of the policy pack reads this metric"


class InvalidMetricValue(DomainError):
    code = "application_invalid_metric_value"
    title = "A metric is a Decimal, a bool or a string (never a float)"


class IntegrityInvestigationAlreadyOpen(DomainError):
    code = "application_integrity_investigation_already_open"
    title = "An integrity investigation is open already"


class NoOpenIntegrityInvestigation(DomainError):
    code = "application_no_open_integrity_investigation"
    title = "There is no open integrity investigation to conclude"


# --- approval guards -----------------------------------------------------------------------------


class ApplicationNotComplete(DomainError):
    code = "application_not_complete"
    title = "Only a complete application can be approved"


class RequirementNotAssessed(DomainError):
    code = "application_requirement_not_assessed"
    title = "Every applicable gating requirement is assessed before approval"


class RequirementNotMet(DomainError):
    code = "application_requirement_not_met"
    title = "Every applicable gating requirement is met or not applicable before approval"


class ExclusionGroundNotAssessed(DomainError):
    code = "application_exclusion_ground_not_assessed"
    title = "Every applicable exclusion ground is assessed before approval"


class ExclusionGroundPresent(DomainError):
    code = "application_exclusion_ground_present"
    title = "A provider with an exclusion ground present is not eligible"


class IntegrityInvestigationOpen(DomainError):
    code = "application_integrity_investigation_open"
    title = "An open integrity investigation blocks approval"


class ContractTypeRouteMismatch(DomainError):
    code = "application_contract_type_route_mismatch"
    title = "The contract type is not offered on the application's route"


class ContractTypeNotApplicable(DomainError):
    code = "application_contract_type_not_applicable"
    title = "The contract type does not apply to this provider or sub-type"


class ContractTypeNotEligible(DomainError):
    code = "application_contract_type_not_eligible"
    title = "The contract type's eligibility threshold does not hold on the recorded metrics"


class EligibilityMetricMissing(DomainError):
    code = "application_eligibility_metric_missing"
    title = "A metric the contract type's eligibility reads is not recorded yet"


# --- rejection -----------------------------------------------------------------------------------


class RejectionReasonRequired(DomainError):
    code = "application_rejection_reason_required"
    title = "A rejection gives at least one reason"


class ReasonNeedsRuleCode(DomainError):
    code = "application_rejection_reason_needs_rule_code"
    title = "A requirement or exclusion-ground reason names its rule code"


class UnknownRuleCode(DomainError):
    code = "application_unknown_rule_code"
    title = "A rejection reason names a rule code the policy pack chain does not have"


class ReasonNotBackedByAssessment(DomainError):
    code = "application_rejection_reason_not_backed"
    title = "A requirement or exclusion reason rests on a recorded not-met or present finding"


class IncompleteReasonRequired(DomainError):
    code = "application_rejection_while_incomplete_needs_incomplete_reason"
    title = "An incomplete application is rejected as incomplete"
