"""A stand-in for Cognito's managed login (moto's Cognito has user pools and signed tokens, but no OAuth
endpoints): `/sandbox/cognito/oauth2/authorize` (a sign-in form), `/oauth2/token`, `/oauth2/revoke`, `/logout`
and the pools' JWKS, on the local cloud's port.

As Cognito does for an app client with the authorization code grant: the client must exist and allow the code
flow; the redirect and logout URIs must be ones the client lists (the local cloud serves CloudFront's domain at
its own address, so the same path at the local address is accepted too). Unlike Cognito, PKCE is required (S256):
the console always sends it. The password is checked against moto's pool (AdminInitiateAuth), so the tokens are
moto's own, signed with the key the JWKS publishes. A code lasts five minutes and is good for one exchange, with
the verifier of its challenge and the same client and redirect URI; a revoked refresh token renews nothing.

Machine clients (enforcement devices): `grant_type=client_credentials` at `/oauth2/token`, the client id and secret
in HTTP Basic (`Authorization`) or the form, as Cognito accepts them. The client must allow the grant; the scopes
asked for (all of the client's when none are) must be among its `AllowedOAuthScopes` and its pool's resource
servers'. The access token is signed with the key of moto's JWKS (moto issues none for this grant), with Cognito's
claims: `iss` the pool, `sub` and `client_id` the client, `token_use` access, `scope`, and `exp` after the client's
access token validity (an hour unless set).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

PREFIX = "/sandbox/cognito"
CODE_SECONDS = 5 * 60
Answer = tuple[int, list[tuple[str, str]], bytes]


@dataclass(frozen=True)
class _Grant:
    tokens: dict[str, Any]
    challenge: str
    client_id: str
    redirect_uri: str
    expires: float


@dataclass
class CognitoOAuth:
    cognito: Any  # a boto3 cognito-idp client on moto
    base_url: str  # the local cloud's address
    codes: dict[str, _Grant] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)

    def handle(self, method: str, path: str, body: bytes, headers: dict[str, str] | None = None) -> Answer:
        bare, _, raw_query = path.partition("?")
        query = {k: v[0] for k, v in urllib.parse.parse_qs(raw_query).items()}
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()}
        route = bare.removeprefix(PREFIX)
        if route == "/.well-known/jwks.json" or route.endswith("/.well-known/jwks.json"):
            return _json(200, _public_keys())
        if route == "/oauth2/authorize" and method == "GET":
            return self._authorize(query, form={}, error="")
        if route == "/oauth2/authorize" and method == "POST":
            return self._sign_in(form)
        if route == "/oauth2/token" and method == "POST" and form.get("grant_type") == "client_credentials":
            return self._client_credentials(form, {k.lower(): v for k, v in (headers or {}).items()})
        if route == "/oauth2/token" and method == "POST":
            return self._token(form)
        if route == "/oauth2/revoke" and method == "POST":
            self.revoked.add(form.get("token", ""))
            return _json(200, {})
        if route == "/logout" and method == "GET":
            return self._logout(query)
        return _json(404, {"error": "not_found"})

    # -- the browser's side ---------------------------------------------------------------------------------------
    def _authorize(self, params: dict[str, str], *, form: dict[str, str], error: str) -> Answer:
        refused = self._refused(params)
        if refused:
            return _page(400, f"<h1>Sign-in refused</h1><p>{html.escape(refused)}</p>")
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in sorted(params.items())
        )
        message = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
        username = html.escape(form.get("username", ""))
        return _page(
            400 if error else 200,
            f"<h1>Sign in to the staff console</h1>{message}"
            f'<form method="post" action="{PREFIX}/oauth2/authorize">{hidden}'
            f'<label for="username">Email address</label><input id="username" name="username" value="{username}" '
            'autocomplete="username"><label for="password">Password</label>'
            '<input id="password" name="password" type="password" autocomplete="current-password">'
            '<button type="submit">Sign in</button></form>'
            "<p>Local stand-in for Cognito's managed login: MFA is not asked for here.</p>",
        )

    def _sign_in(self, form: dict[str, str]) -> Answer:
        params = {k: v for k, v in form.items() if k not in ("username", "password")}
        refused = self._refused(params)
        if refused:
            return _page(400, f"<h1>Sign-in refused</h1><p>{html.escape(refused)}</p>")
        client = self._client(params["client_id"])
        assert client is not None  # _refused checked it
        try:
            result = self.cognito.admin_initiate_auth(
                UserPoolId=client["UserPoolId"],
                ClientId=client["ClientId"],
                AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": form.get("username", ""), "PASSWORD": form.get("password", "")},
            )
        except (self.cognito.exceptions.NotAuthorizedException, self.cognito.exceptions.UserNotFoundException):
            return self._authorize(params, form=form, error="Incorrect email address or password")
        if "AuthenticationResult" not in result:
            return self._authorize(params, form=form, error=f"Not supported locally: {result.get('ChallengeName')}")
        tokens = result["AuthenticationResult"]
        code = secrets.token_urlsafe(24)
        self.codes[code] = _Grant(
            tokens={
                "id_token": tokens["IdToken"],
                "access_token": tokens["AccessToken"],
                "refresh_token": tokens["RefreshToken"],
                "expires_in": tokens["ExpiresIn"],
                "token_type": "Bearer",
            },
            challenge=params["code_challenge"],
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            expires=time.time() + CODE_SECONDS,
        )
        query = urllib.parse.urlencode({"code": code, "state": params.get("state", "")})
        return 302, [("location", f"{params['redirect_uri']}?{query}")], b""

    def _logout(self, query: dict[str, str]) -> Answer:
        client = self._client(query.get("client_id", ""))
        target = query.get("logout_uri", "")
        if client is None or not self._listed(target, client.get("LogoutURLs", [])):
            return _page(400, "<h1>Sign-out refused</h1><p>Unknown client or logout URI.</p>")
        return 302, [("location", target)], b""

    def _refused(self, params: dict[str, str]) -> str:
        client = self._client(params.get("client_id", ""))
        if client is None:
            return "Unknown client."
        if "code" not in client.get("AllowedOAuthFlows", []) or params.get("response_type") != "code":
            return "This client does not use the authorization code flow."
        if not self._listed(params.get("redirect_uri", ""), client.get("CallbackURLs", [])):
            return "The redirect URI is not one of the client's callback URLs."
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "PKCE (S256) is required."
        return ""

    # -- the console's side ---------------------------------------------------------------------------------------
    def _token(self, form: dict[str, str]) -> Answer:
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            grant = self.codes.pop(form.get("code", ""), None)  # one exchange per code, right or wrong
            if (
                grant is None
                or grant.expires < time.time()
                or grant.client_id != form.get("client_id")
                or grant.redirect_uri != form.get("redirect_uri")
                or _challenge(form.get("code_verifier", "")) != grant.challenge
            ):
                return _json(400, {"error": "invalid_grant"})
            return _json(200, grant.tokens)
        if grant_type == "refresh_token":
            client = self._client(form.get("client_id", ""))
            token = form.get("refresh_token", "")
            if client is None or not token or token in self.revoked:
                return _json(400, {"error": "invalid_grant"})
            try:
                result = self.cognito.admin_initiate_auth(
                    UserPoolId=client["UserPoolId"],
                    ClientId=client["ClientId"],
                    AuthFlow="REFRESH_TOKEN_AUTH",
                    AuthParameters={"REFRESH_TOKEN": token},
                )["AuthenticationResult"]
            except self.cognito.exceptions.NotAuthorizedException:
                return _json(400, {"error": "invalid_grant"})
            return _json(200, {"id_token": result["IdToken"], "access_token": result["AccessToken"]})
        return _json(400, {"error": "unsupported_grant_type"})

    def _client_credentials(self, form: dict[str, str], headers: dict[str, str]) -> Answer:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        basic = headers.get("authorization", "")
        if basic.lower().startswith("basic "):
            try:
                client_id, _, secret = base64.b64decode(basic[6:].strip()).decode().partition(":")
            except ValueError:
                return _json(400, {"error": "invalid_client"})
        client = self._client(client_id)
        if (
            client is None
            or not client.get("ClientSecret")
            or not hmac.compare_digest(secret.encode(), str(client["ClientSecret"]).encode())
        ):
            return _json(400, {"error": "invalid_client"})
        if "client_credentials" not in client.get("AllowedOAuthFlows", []):
            return _json(400, {"error": "unauthorized_client"})
        allowed = set(client.get("AllowedOAuthScopes", []))
        servers = self.cognito.list_resource_servers(UserPoolId=client["UserPoolId"], MaxResults=50)["ResourceServers"]
        offered = {f"{s['Identifier']}/{scope['ScopeName']}" for s in servers for scope in s.get("Scopes", [])}
        asked = set(form["scope"].split()) if form.get("scope") else allowed & offered
        if not asked or not asked <= allowed & offered:
            return _json(400, {"error": "invalid_scope"})
        seconds = _validity_seconds(client)
        now = int(time.time())
        claims = {
            "sub": client_id,
            "token_use": "access",
            "scope": " ".join(sorted(asked)),
            "auth_time": now,
            "iss": f"https://cognito-idp.{client['UserPoolId'].split('_')[0]}.amazonaws.com/{client['UserPoolId']}",
            "exp": now + seconds,
            "iat": now,
            "version": 2,
            "jti": secrets.token_hex(16),
            "client_id": client_id,
        }
        token = _sign(claims)
        return _json(200, {"access_token": token, "expires_in": seconds, "token_type": "Bearer"})

    def _client(self, client_id: str) -> dict[str, Any] | None:
        if not client_id:
            return None
        for pool in self.cognito.list_user_pools(MaxResults=60)["UserPools"]:
            clients = self.cognito.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)["UserPoolClients"]
            if any(c["ClientId"] == client_id for c in clients):
                found: dict[str, Any] = self.cognito.describe_user_pool_client(
                    UserPoolId=pool["Id"], ClientId=client_id
                )["UserPoolClient"]
                return found
        return None

    def _listed(self, uri: str, registered: list[str]) -> bool:
        """One of the client's URIs, or the same path at the local address (which serves CloudFront's domain)."""
        if uri in registered:
            return True
        path = urllib.parse.urlparse(uri).path
        return uri == self.base_url + path and any(urllib.parse.urlparse(r).path == path for r in registered)


def _challenge(verifier: str) -> str:
    if not 43 <= len(verifier) <= 128:
        return ""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def _validity_seconds(client: dict[str, Any]) -> int:
    units = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
    unit = str((client.get("TokenValidityUnits") or {}).get("AccessToken", "hours"))
    return int(client.get("AccessTokenValidity") or 1) * units.get(unit, 3600)


def _sign(claims: dict[str, Any]) -> str:
    """Signed with the private half of moto's Cognito key (what the JWKS publishes and the authorizer checks)."""
    import jwt
    from moto.utilities.utils import load_resource

    key = load_resource("cognitoidp/resources/jwks-private.json")  # one JWK
    private = jwt.PyJWK.from_json(json.dumps(key)).key
    return jwt.encode(claims, private, algorithm="RS256", headers={"kid": key["kid"]})


def _public_keys() -> dict[str, Any]:
    from moto.utilities.utils import load_resource

    keys: dict[str, Any] = load_resource("cognitoidp/resources/jwks-public.json")
    return keys


def _json(status: int, payload: Any) -> Answer:
    data = json.dumps(payload).encode()
    return status, [("content-type", "application/json"), ("cache-control", "no-store")], data


def _page(status: int, content: str) -> Answer:
    body = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Sign in (local)</title></head>'
        f"<body><main>{content}</main></body></html>"
    ).encode()
    return status, [("content-type", "text/html; charset=utf-8"), ("cache-control", "no-store")], body
