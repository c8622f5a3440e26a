"""Roles and permissions as data: `data/roles.yaml`, validated on load, and who a member of staff is.

A member of staff's Cognito groups say what they hold: `role:<name>` for each role (`data/roles.yaml`) and
`team:<slug of the team's name>` for each team whose cases they work (docs/decisions/0005-staff-roles-and-teams.md).
Groups that are neither are ignored here (the `caseworkers` group the API's PATCH route checks is one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

ROLES_FILE = Path(__file__).resolve().parent / "data" / "roles.yaml"
ROLE_GROUP_PREFIX = "role:"
TEAM_GROUP_PREFIX = "team:"
_NAME = r"^[a-z][a-z0-9-]{0,40}$"


class Permission(StrEnum):
    READ_CASE = "read-case"
    EDIT_CASE = "edit-case"
    ASSIGN = "assign"
    CHANGE_STATUS = "change-status"
    INTERNAL_NOTE = "internal-note"
    RESIDENT_UPDATE = "resident-update"
    REFUND = "refund"
    EXPORT_FINANCE = "export-finance"  # the finance CSV of payments and refunds (console/finance_pages.py)
    ACT_FOR_RESIDENT = "act-for-resident"
    VIEW_KPIS = "view-kpis"
    MANAGE_USERS_AND_TEAMS = "manage-users-and-teams"
    MANAGE_RESPONSE_TEMPLATES = "manage-response-templates"
    EXPORT_SUBJECT_ACCESS = "export-subject-access"  # every request of a resident, whatever the team
    VIEW_PERMITS = "view-permits"  # find parking permits and read them (console/permit_pages.py)
    MANAGE_PERMITS = "manage-permits"  # verify a permit's declared vehicle details, revoke a permit


class Role(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = Field(min_length=1, max_length=200)
    permissions: frozenset[Permission] = Field(min_length=1)


class RolesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    roles: dict[str, Role] = Field(min_length=1)

    def model_post_init(self, _context: Any) -> None:
        wrong = [name for name in self.roles if not re.match(_NAME, name)]
        if wrong:
            raise ValueError(f"role names must be lower-case words joined by hyphens: {wrong}")


def team_slug(team: str) -> str:
    """A team's name as its group names it (`Street scene` -> `street-scene`): Cognito group names have no spaces."""
    return re.sub(r"[^a-z0-9]+", "-", team.lower()).strip("-")


def parse_roles(text: str) -> RolesFile:
    """The roles in a YAML document; raises pydantic's ValidationError (naming what is wrong) or ValueError."""
    return RolesFile.model_validate(yaml.safe_load(text))


@cache
def roles() -> dict[str, Role]:
    return dict(parse_roles(ROLES_FILE.read_text()).roles)


@dataclass(frozen=True)
class StaffMember:
    """Who is signed in, from their verified token: Cognito's `sub`, their email, their roles and teams."""

    subject: str
    email: str
    roles: frozenset[str]
    teams: frozenset[str]

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> StaffMember:
        groups = claims.get("cognito:groups") or []
        if isinstance(groups, str):
            groups = groups.strip("[]").replace(",", " ").split()
        known = roles()
        return cls(
            subject=str(claims.get("sub", "")),
            email=str(claims.get("email", "")),
            roles=frozenset(
                g.removeprefix(ROLE_GROUP_PREFIX)
                for g in groups
                if g.startswith(ROLE_GROUP_PREFIX) and g.removeprefix(ROLE_GROUP_PREFIX) in known
            ),
            teams=frozenset(g.removeprefix(TEAM_GROUP_PREFIX) for g in groups if g.startswith(TEAM_GROUP_PREFIX)),
        )

    @property
    def permissions(self) -> frozenset[Permission]:
        known = roles()
        return frozenset(p for role in self.roles for p in known[role].permissions)

    def may(self, permission: Permission) -> bool:
        return permission in self.permissions

    def works_for(self, team: str | None) -> bool:
        """Whether a case of this team (its name, as triage sets it) is one of theirs."""
        return team is not None and team_slug(team) in self.teams
