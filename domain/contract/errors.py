"""Why a contract command was refused: one error per broken rule (brief §4.3, §6, §12).

Nothing is recorded when one of these is raised. Facts travel as keyword arguments so the HTTP
edge can render them; ``code`` values are public and never change meaning.
"""

from __future__ import annotations

from care_contracts.domain.errors import DomainError

__all__ = [
    "AmendmentOutsideTerm",
    "ContractMotivationRequired",
    "ContractNotActive",
    "ContractNotInForce",
    "ContractNotLive",
    "ContractNotOpenForSigning",
    "ContractNotSuspended",
    "ContractNotTerminable",
    "ContractTypeNotEligible",
    "EndDateFixedByContractType",
    "ExplicitEndDateRequired",
    "FactDateInFuture",
    "GroundsRequired",
    "NotATerminationGround",
    "OfferBornExpired",
    "OfferLapsed",
    "OfferNotOpen",
    "ReceiptBeforeOffer",
    "RetroactiveTermination",
    "RunningContractMissesPackYear",
    "RunningContractNeedsNoApproval",
    "SignedAfterRegistration",
    "SigningDeadlineExtensionNotAllowed",
    "SigningDeadlineExtensionNotLater",
    "SigningWindowClosed",
    "SigningWindowStillOpen",
    "TariffAnnexAlreadyIssued",
    "TariffAnnexOutsideTerm",
    "TermEndsBeforeStart",
    "TermNotOver",
    "TerminationAfterTermEnd",
    "VecozoReferenceRequired",
]


# --- offering ---------------------------------------------------------------------------------


class RunningContractNeedsNoApproval(DomainError):
    code = "running_contract_needs_no_approval"
    title = "A running contract is registered from its own facts, not offered from an approval"


class RunningContractMissesPackYear(DomainError):
    code = "running_contract_misses_pack_year"
    title = "A running contract is registered under a pack whose year its term reaches"


class SignedAfterRegistration(DomainError):
    code = "signed_after_registration"
    title = "A running contract's original signing date cannot be after the day it is registered"


class ContractTypeNotEligible(DomainError):
    code = "contract_type_not_eligible"
    title = "The contract type is not offered on this route or for this sub-type"


class ExplicitEndDateRequired(DomainError):
    code = "explicit_end_date_required"
    title = "The contract type states no term end, so the offer must state an end date"


class EndDateFixedByContractType(DomainError):
    code = "end_date_fixed_by_contract_type"
    title = "The contract type fixes the term end; the offer cannot state another"


class TermEndsBeforeStart(DomainError):
    code = "term_ends_before_start"
    title = "The contract term would end before it starts"


class ReceiptBeforeOffer(DomainError):
    code = "receipt_before_offer"
    title = "An offer cannot be received before it is made"


class OfferBornExpired(DomainError):
    code = "offer_born_expired"
    title = "The signing deadline has passed before the offer is made"


# --- answering the offer ----------------------------------------------------------------------


class ContractNotOpenForSigning(DomainError):
    code = "contract_not_open_for_signing"
    title = "Only an offered contract can be signed"


class SigningWindowClosed(DomainError):
    code = "signing_window_closed"
    title = "The signing deadline has passed"


class VecozoReferenceRequired(DomainError):
    code = "vecozo_reference_required"
    title = "A signature is recorded with its VECOZO reference"


class OfferNotOpen(DomainError):
    code = "offer_not_open"
    title = "Only an open offer can be declined, withdrawn, extended or expired"


class OfferLapsed(DomainError):
    code = "offer_lapsed"
    title = "The signing deadline has passed; the offer can only expire"


class SigningWindowStillOpen(DomainError):
    code = "signing_window_still_open"
    title = "An offer expires only after its signing deadline has passed"


class SigningDeadlineExtensionNotAllowed(DomainError):
    code = "signing_deadline_extension_not_allowed"
    title = "Extending a signing deadline is not enabled for this policy"


class SigningDeadlineExtensionNotLater(DomainError):
    code = "signing_deadline_extension_not_later"
    title = "An extension moves the signing deadline to a later day"


# --- the running contract ---------------------------------------------------------------------


class ContractNotActive(DomainError):
    code = "contract_not_active"
    title = "Only an active contract can be suspended"


class ContractNotSuspended(DomainError):
    code = "contract_not_suspended"
    title = "Only a suspended contract can have its suspension lifted"


class ContractNotTerminable(DomainError):
    code = "contract_not_terminable"
    title = "Only a signed, active or suspended contract can be terminated"


class ContractNotInForce(DomainError):
    code = "contract_not_in_force"
    title = "Only a signed or active contract can be amended, annexed or ended"


class ContractNotLive(DomainError):
    code = "contract_not_live"
    title = "A termination ground is established on a signed, active or suspended contract"


class GroundsRequired(DomainError):
    code = "contract_grounds_required"
    title = "A suspension or termination names at least one ground"


class ContractMotivationRequired(DomainError):
    code = "contract_motivation_required"
    title = "This decision needs a written reason, motivation, description, evidence or reference"


class RetroactiveTermination(DomainError):
    code = "retroactive_termination"
    title = "A termination takes effect on or after the day it is decided"


class TerminationAfterTermEnd(DomainError):
    code = "termination_after_term_end"
    title = "A termination takes effect on or before the term's last day"


class TermNotOver(DomainError):
    code = "term_not_over"
    title = "A contract ends only after the last day of its term"


class AmendmentOutsideTerm(DomainError):
    code = "amendment_outside_term"
    title = "An amendment takes effect within the contract term"


class TariffAnnexOutsideTerm(DomainError):
    code = "tariff_annex_outside_term"
    title = "A tariff annex is for a year the contract term covers"


class TariffAnnexAlreadyIssued(DomainError):
    code = "tariff_annex_already_issued"
    title = "This tariff annex has been issued on this contract already"


class NotATerminationGround(DomainError):
    code = "not_a_termination_ground"
    title = "The code is not a termination ground of the contract's policy pack"


class FactDateInFuture(DomainError):
    code = "fact_date_in_future"
    title = "A termination ground's fact cannot be dated after the day it is recorded"
