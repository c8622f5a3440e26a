"""Who a case can be assigned to: the members of its team's Cognito group (`team:<slug>`) who hold a role that
works cases (one with `change-status`), read with ListUsersInGroup and kept for a few minutes per group, so the case
page does not call Cognito on every view. Membership changes in Cognito show here within `ttl_seconds`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from console.permissions import ROLE_GROUP_PREFIX, TEAM_GROUP_PREFIX, Permission, roles, team_slug
from shared import aws


@dataclass(frozen=True)
class Member:
    subject: str  # Cognito `sub`, what a case's `assignee` holds
    email: str


class TeamMembers:
    def __init__(
        self, user_pool_id: str, *, ttl_seconds: float = 300, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.user_pool_id, self.ttl, self.clock = user_pool_id, ttl_seconds, clock
        self._groups: dict[str, tuple[float, dict[str, Member]]] = {}

    def assignable(self, team: str) -> list[Member]:
        """The team's members who may work its cases, by email."""
        workers: dict[str, Member] = {}
        for role, definition in roles().items():
            if Permission.CHANGE_STATUS in definition.permissions:
                workers.update(self._group(ROLE_GROUP_PREFIX + role))
        members = self._group(TEAM_GROUP_PREFIX + team_slug(team))
        return sorted((m for key, m in members.items() if key in workers), key=lambda m: m.email)

    def names(self) -> dict[str, str]:
        """Every member of staff who holds a role, by `sub`: their email (how the case timeline names them)."""
        known: dict[str, str] = {}
        for role in roles():
            known.update({subject: member.email for subject, member in self._group(ROLE_GROUP_PREFIX + role).items()})
        return known

    def find(self, team: str, subject: str) -> Member | None:
        return next((m for m in self.assignable(team) if m.subject == subject), None)

    def _group(self, name: str) -> dict[str, Member]:
        now = self.clock()
        kept = self._groups.get(name)
        if kept is not None and now - kept[0] < self.ttl:
            return kept[1]
        members: dict[str, Member] = {}
        cognito = aws.client("cognito-idp")
        call: dict[str, Any] = {"UserPoolId": self.user_pool_id, "GroupName": name, "Limit": 60}
        while True:
            try:
                answer = cognito.list_users_in_group(**call)
            except cognito.exceptions.ResourceNotFoundException:
                break  # no such group (a team without one yet): nobody

            for user in answer.get("Users", []):
                attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
                if user.get("Enabled", True) and attributes.get("sub"):
                    members[attributes["sub"]] = Member(attributes["sub"], attributes.get("email", ""))
            if not answer.get("NextToken"):
                break
            call["NextToken"] = answer["NextToken"]
        self._groups[name] = (now, members)
        return members
