"""The console's side of Cognito's managed login: OAuth 2.0 authorization code flow with PKCE (a public client:
no client secret), refresh, revocation and logout. In the local cloud the same endpoints are a stand-in
(local/sandbox/cognito_oauth.py).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

OAUTH_TIMEOUT_SECONDS = 5
SCOPES = "openid email"


class OAuthFailed(Exception):
    """Cognito refused (a used or unknown code, a wrong verifier, a revoked refresh token) or did not answer."""


@dataclass(frozen=True)
class CognitoLogin:
    base_url: str  # the user pool domain, e.g. https://<prefix>.auth.eu-west-2.amazoncognito.com
    client_id: str
    redirect_uri: str  # <public base>/staff/callback, one of the client's callback URLs
    logout_uri: str  # <public base>/staff/signed-out, one of the client's logout URLs

    def authorize_url(self, *, state: str, challenge: str) -> str:
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": SCOPES,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self.base_url}/oauth2/authorize?{query}"

    def logout_url(self) -> str:
        query = urllib.parse.urlencode({"client_id": self.client_id, "logout_uri": self.logout_uri})
        return f"{self.base_url}/logout?{query}"

    def exchange_code(self, code: str, verifier: str) -> dict[str, Any]:
        return self._post(
            "/oauth2/token",
            {
                "grant_type": "authorization_code",
                "client_id": self.client_id,
                "code": code,
                "redirect_uri": self.redirect_uri,
                "code_verifier": verifier,
            },
        )

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        return self._post(
            "/oauth2/token",
            {"grant_type": "refresh_token", "client_id": self.client_id, "refresh_token": refresh_token},
        )

    def revoke(self, refresh_token: str) -> None:
        self._post("/oauth2/revoke", {"token": refresh_token, "client_id": self.client_id})

    def _post(self, path: str, form: dict[str, str]) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 - the configured https Cognito domain
            self.base_url + path,
            data=urllib.parse.urlencode(form).encode(),
            headers={"content-type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=OAUTH_TIMEOUT_SECONDS) as response:  # noqa: S310
                body = response.read()
        except urllib.error.HTTPError as error:
            raise OAuthFailed(f"{path}: {error.code}") from error
        except (urllib.error.URLError, TimeoutError) as error:
            raise OAuthFailed(f"{path}: {error}") from error
        answer: dict[str, Any] = json.loads(body) if body.strip() else {}
        return answer
