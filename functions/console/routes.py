"""The console's route table: every route names the access it needs, and the check runs in code for every
request (the gateway in front checks nothing for /staff: the console is its own gate).

`ROUTES` is the table; `route_role_matrix()` derives from it who may use what, which the tests check route by
route and role by role (a role without the permission is refused, a role with it is let through).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from console.permissions import Permission, roles


class Access(StrEnum):
    PUBLIC = "public"  # the sign-in journey itself
    SIGNED_IN = "signed-in"  # any member of staff, whatever their roles (their home page, sign-out)


@dataclass(frozen=True)
class ConsoleRoute:
    method: str
    path: str  # Powertools' rule syntax: /staff/cases/<reference>
    access: Permission | Access
    view: str  # the name of the section method that answers (console/views.py: `Pages`, `Records`, ...)

    def __post_init__(self) -> None:
        if not isinstance(self.access, (Permission, Access)):
            raise ValueError(f"{self.method} {self.path} declares no permission: every console route must")


ROUTES: tuple[ConsoleRoute, ...] = (
    ConsoleRoute("GET", "/staff", Access.PUBLIC, "start"),
    ConsoleRoute("GET", "/staff/sign-in", Access.PUBLIC, "sign_in"),
    ConsoleRoute("GET", "/staff/callback", Access.PUBLIC, "callback"),
    ConsoleRoute("GET", "/staff/signed-out", Access.PUBLIC, "signed_out"),
    ConsoleRoute("POST", "/staff/sign-out", Access.SIGNED_IN, "sign_out"),
    ConsoleRoute("GET", "/staff/home", Access.SIGNED_IN, "home"),
    ConsoleRoute("GET", "/staff/cases", Permission.READ_CASE, "queue"),
    # Bulk assign from the queue (console/bulk_assign.py): the form's POST, then its result page. The resolver tries
    # static paths before `<reference>` ones, and "bulk-assign" is never a reference (console/bulk_assign.py).
    ConsoleRoute("POST", "/staff/cases/bulk-assign", Permission.ASSIGN, "bulk_assign"),
    ConsoleRoute("GET", "/staff/cases/bulk-assign", Permission.ASSIGN, "bulk_assign_result"),
    ConsoleRoute("GET", "/staff/cases/<reference>", Permission.READ_CASE, "case"),
    # console/attachments.py: a file the resident sent, audited, then a short-lived link (clean files only)
    ConsoleRoute("GET", "/staff/cases/<reference>/attachments/<question>", Permission.READ_CASE, "download_attachment"),
    # Case working (console/casework.py); each also needs the case to be one of the staff member's teams'.
    ConsoleRoute("POST", "/staff/cases/<reference>/assign", Permission.ASSIGN, "assign_case"),
    ConsoleRoute("POST", "/staff/cases/<reference>/status", Permission.CHANGE_STATUS, "change_case_status"),
    ConsoleRoute("POST", "/staff/cases/<reference>/notes", Permission.INTERNAL_NOTE, "add_case_note"),
    ConsoleRoute("POST", "/staff/cases/<reference>/refunds", Permission.REFUND, "refund"),  # console/payments_panel.py
    ConsoleRoute("GET", "/staff/finance", Permission.EXPORT_FINANCE, "finance"),  # console/finance_pages.py
    # console/records.py: search by reference, postcode or email (a POST: personal data stays out of URLs)
    ConsoleRoute("GET", "/staff/search", Permission.READ_CASE, "search_form"),
    ConsoleRoute("POST", "/staff/search", Permission.READ_CASE, "search"),
    # console/records.py: a resident's subject access export (a download), whatever the team
    ConsoleRoute("GET", "/staff/subject-access", Permission.EXPORT_SUBJECT_ACCESS, "subject_access_form"),
    ConsoleRoute("POST", "/staff/subject-access", Permission.EXPORT_SUBJECT_ACCESS, "subject_access"),
    # Assisted digital (console/assisted_pages.py): submitting a service for a resident.
    ConsoleRoute("GET", "/staff/assisted", Permission.ACT_FOR_RESIDENT, "assisted_start"),
    ConsoleRoute("POST", "/staff/assisted", Permission.ACT_FOR_RESIDENT, "assisted_begin"),
    ConsoleRoute("POST", "/staff/assisted/answers", Permission.ACT_FOR_RESIDENT, "assisted_answers"),
    ConsoleRoute("POST", "/staff/assisted/submit", Permission.ACT_FOR_RESIDENT, "assisted_submit"),
    ConsoleRoute("POST", "/staff/assisted/pay", Permission.ACT_FOR_RESIDENT, "assisted_pay"),
    ConsoleRoute("POST", "/staff/assisted/pay/status", Permission.ACT_FOR_RESIDENT, "assisted_pay_status"),
    # Coming back to a request's fee later (console/payment_due.py): by its reference, from the start page.
    ConsoleRoute("POST", "/staff/assisted/pay/find", Permission.ACT_FOR_RESIDENT, "assisted_pay_find"),
    ConsoleRoute("GET", "/staff/assisted/pay/<reference>", Permission.ACT_FOR_RESIDENT, "assisted_pay_due"),
    # Parking permits (console/permit_pages.py), through the permits service's PermitsStaff function: search (a
    # POST: a mark or a UPRN stays out of URLs), a permit's page, verifying declared details, revoking.
    ConsoleRoute("GET", "/staff/permits", Permission.VIEW_PERMITS, "permits_search_form"),
    ConsoleRoute("POST", "/staff/permits", Permission.VIEW_PERMITS, "permits_search"),
    # Applying for a permit for a resident and taking its payment by phone (console/permit_apply.py; the views also
    # need manage-permits). Static paths: the resolver tries them before `<key>`, and "apply" is never a key.
    ConsoleRoute("GET", "/staff/permits/apply", Permission.ACT_FOR_RESIDENT, "permit_apply_form"),
    ConsoleRoute("POST", "/staff/permits/apply", Permission.ACT_FOR_RESIDENT, "permit_apply"),
    ConsoleRoute("POST", "/staff/permits/apply/pay", Permission.ACT_FOR_RESIDENT, "permit_apply_pay"),
    ConsoleRoute("POST", "/staff/permits/apply/pay/status", Permission.ACT_FOR_RESIDENT, "permit_apply_pay_status"),
    ConsoleRoute("GET", "/staff/permits/<key>", Permission.VIEW_PERMITS, "permit"),
    ConsoleRoute("POST", "/staff/permits/<key>/verify", Permission.MANAGE_PERMITS, "verify_permit"),
    ConsoleRoute("POST", "/staff/permits/<key>/revoke", Permission.MANAGE_PERMITS, "revoke_permit"),
    # A resident's uploaded evidence (permits.evidence): download (audited, a 60 s link), verify or reject.
    ConsoleRoute("GET", "/staff/permits/<key>/evidence/<kind>", Permission.VIEW_PERMITS, "download_evidence"),
    ConsoleRoute("POST", "/staff/permits/<key>/evidence", Permission.MANAGE_PERMITS, "check_evidence"),
    ConsoleRoute("POST", "/staff/permits/<key>/visitor-balance", Permission.MANAGE_PERMITS, "adjust_visitor_balance"),
    ConsoleRoute("GET", "/staff/kpis", Permission.VIEW_KPIS, "kpis"),
    ConsoleRoute("GET", "/staff/kpis/csv/<table>", Permission.VIEW_KPIS, "kpis_csv"),
)


def allowed(route: ConsoleRoute, role_names: frozenset[str]) -> bool:
    """Whether someone holding exactly these roles may use the route (teams are checked by each view)."""
    if isinstance(route.access, Access):
        return True
    known = roles()
    return any(route.access in known[name].permissions for name in role_names if name in known)


def route_role_matrix() -> dict[tuple[str, str], dict[str, bool]]:
    """(method, path) -> role -> allowed, for every route that needs a permission."""
    return {
        (route.method, route.path): {role: allowed(route, frozenset({role})) for role in roles()}
        for route in ROUTES
        if isinstance(route.access, Permission)
    }
