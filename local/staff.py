"""Local-only conveniences: a seeded member of staff, and a sign-in helper that returns real Cognito tokens.

Nothing here deploys: these stand in for the council's identity administrators and the staff console's sign-in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from local.model import Inventory
from local.moto_session import MotoSession

DEMO_USERNAME = "caseworker@example.org"
DEMO_PASSWORD = "Caseworker-Demo-2024!"  # noqa: S105 - a printed demo password for a local, in-memory user pool
# One demo member of staff per console role (groups `role:<name>`, functions/console/data/roles.yaml), all with
# the demo password. All but the admin work for every team (`team:*` groups). The API's demo caseworker above
# stays in the API's groups only (`caseworkers`, for PATCH).
DEMO_STAFF = {
    "caseworker": "console-caseworker@example.org",
    "team-lead": "team-lead@example.org",
    "finance": "finance@example.org",
    "admin": "admin@example.org",
}
ROLE_PREFIX, TEAM_PREFIX = "role:", "team:"
SIGN_IN_PATH = "/sandbox/sign-in"


@dataclass(frozen=True)
class StaffPool:
    user_pool_id: str
    client_id: str
    groups: tuple[str, ...]


def staff_pools(inventory: Inventory) -> list[StaffPool]:
    """User pools whose clients an API's JWT authorizer trusts (the staff pool), with the groups they declare; not
    machine clients (client credentials only: the enforcement devices' pool has no people to seed)."""
    audiences = {
        audience
        for authorizer in inventory.of_type("AWS::ApiGatewayV2::Authorizer")
        for audience in authorizer.properties.get("JwtConfiguration", {}).get("Audience", [])
    }
    pools = []
    for client in inventory.of_type("AWS::Cognito::UserPoolClient"):
        if client.physical_id in audiences and client.properties.get("AllowedOAuthFlows") != ["client_credentials"]:
            pool_id = client.properties["UserPoolId"]
            groups = tuple(
                group.physical_id
                for group in inventory.of_type("AWS::Cognito::UserPoolGroup")
                if group.properties.get("UserPoolId") == pool_id
            )
            pools.append(StaffPool(pool_id, client.physical_id, groups))
    return pools


def seed_staff(session: MotoSession, pools: list[StaffPool]) -> None:
    """The demo caseworker in the pool's API groups, and one demo member of staff per console role."""
    cognito = session.client("cognito-idp")
    for pool in pools:
        groups = set(pool.groups)
        roles = {g for g in groups if g.startswith(ROLE_PREFIX)}
        teams = {g for g in groups if g.startswith(TEAM_PREFIX)}
        others = groups - roles - teams  # e.g. `caseworkers`, which the API's PATCH route asks for
        _create(cognito, pool.user_pool_id, DEMO_USERNAME, sorted(others))
        for role, username in DEMO_STAFF.items():
            if ROLE_PREFIX + role not in roles:
                continue
            member_of = {ROLE_PREFIX + role} & roles
            member_of |= teams if role != "admin" else set()
            member_of |= others if role in ("caseworker", "team-lead") else set()
            _create(cognito, pool.user_pool_id, username, sorted(member_of))


def _create(cognito: Any, pool_id: str, username: str, groups: list[str]) -> None:
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[{"Name": "email", "Value": username}, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=DEMO_PASSWORD, Permanent=True)
    for group in groups:
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)


def sign_in(session: MotoSession, pools: list[StaffPool], body: bytes) -> tuple[int, dict[str, Any]]:
    """POST /sandbox/sign-in {"username", "password"} -> Cognito's tokens (USER_PASSWORD_AUTH)."""
    try:
        credentials = json.loads(body or b"{}")
        username, password = str(credentials["username"]), str(credentials["password"])
    except (ValueError, KeyError, TypeError):
        return 400, {"message": 'Send JSON: {"username": "...", "password": "..."}'}
    if not pools:
        return 404, {"message": "No API authorizer trusts a user pool, so there is nobody to sign in as"}
    cognito = session.client("cognito-idp")
    try:
        result = cognito.initiate_auth(
            ClientId=pools[0].client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
    except (cognito.exceptions.NotAuthorizedException, cognito.exceptions.UserNotFoundException):
        return 401, {"message": "Incorrect username or password"}
    if "AuthenticationResult" not in result:
        return 401, {"message": f"Cognito asks for a challenge: {result.get('ChallengeName')}"}
    tokens = result["AuthenticationResult"]
    return 200, {
        "id_token": tokens["IdToken"],
        "access_token": tokens["AccessToken"],
        "refresh_token": tokens.get("RefreshToken"),
        "expires_in": tokens["ExpiresIn"],
        "token_type": tokens["TokenType"],
    }
