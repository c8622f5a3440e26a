"""Sign-in at /staff: the PKCE redirect, the callback's state check, token checks in the console's own code,
refresh, sign-out that revokes, CSRF on every form."""

from __future__ import annotations

import time
import urllib.parse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from console import session
from console.tokens import code_challenge
from tests.unit.staff_console.conftest import SIGNING_KEY, Console


def _cookie(answer: dict, name: str) -> str:
    for cookie in answer.get("cookies", []):
        if cookie.startswith(name + "="):
            return str(cookie)
    raise AssertionError(f"no {name} cookie in {answer.get('cookies')}")


def test_sign_in_redirects_with_an_s256_challenge_of_the_verifier_kept_in_a_signed_cookie(console: Console) -> None:
    answer = console.get("/staff/sign-in")
    assert answer["statusCode"] == 303
    query = urllib.parse.parse_qs(urllib.parse.urlparse(answer["headers"]["location"]).query)
    raw = _cookie(answer, session.SIGN_IN_COOKIE)
    assert "HttpOnly" in raw
    assert "Secure" in raw
    assert "SameSite=Lax" in raw
    assert "Path=/staff" in raw
    state, verifier = session.Signer(SIGNING_KEY).pending_sign_in(raw.split(";")[0].split("=", 1)[1]) or ("", "")
    assert query["state"] == [state]
    assert query["code_challenge"] == [code_challenge(verifier)]


def _callback(console: Console, *, code: str = "good-code", state_in_url: str | None = None) -> dict:
    started = console.get("/staff/sign-in")
    cookie_value = _cookie(started, session.SIGN_IN_COOKIE).split(";")[0].split("=", 1)[1]
    state = urllib.parse.parse_qs(urllib.parse.urlparse(started["headers"]["location"]).query)["state"][0]
    return console.request(
        "GET",
        "/staff/callback",
        None,
        query={"code": code, "state": state_in_url or state},
        cookies={session.SIGN_IN_COOKIE: cookie_value},
    )


def test_the_callback_exchanges_the_code_with_the_verifier_and_sets_session_cookies(console: Console) -> None:
    console.login.tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    answer = _callback(console)
    assert answer["statusCode"] == 303
    assert answer["headers"]["location"] == "/staff/cases"
    for name in (session.ID_COOKIE, session.REFRESH_COOKIE):
        raw = _cookie(answer, name)
        assert "HttpOnly" in raw
        assert "Secure" in raw
        assert "SameSite=Lax" in raw
    assert len(console.login.exchanged) == 1


def test_a_callback_with_another_state_or_a_refused_code_signs_nobody_in(console: Console) -> None:
    console.login.tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    forged = _callback(console, state_in_url="someone-elses-state")
    assert forged["statusCode"] == 400
    assert console.login.exchanged == []
    refused = _callback(console, code="used-code")
    assert refused["statusCode"] == 400
    assert not any(c.startswith(session.ID_COOKIE + "=") for c in refused.get("cookies", []))


def test_a_callback_without_the_sign_in_cookie_is_refused(console: Console) -> None:
    answer = console.request("GET", "/staff/callback", None, query={"code": "good-code", "state": "x"})
    assert answer["statusCode"] == 400


def _forged(console: Console, **claims: object) -> dict[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    payload = {
        "iss": console.issuer,
        "aud": console.client_id,
        "sub": "intruder",
        "token_use": "id",
        "exp": int(time.time()) + 600,
        "cognito:groups": ["role:admin", "role:caseworker", "team:street-scene"],
        **claims,
    }
    return {"id_token": jwt.encode(payload, key, algorithm="RS256", headers={"kid": "dummy"}), "refresh_token": ""}


def test_forged_expired_and_other_pool_tokens_are_refused(console: Console) -> None:
    assert console.get("/staff/cases", _forged(console))["statusCode"] == 303  # signed with another key
    real = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    assert console.get("/staff/cases", real)["statusCode"] == 200
    claims = jwt.decode(real["id_token"], options={"verify_signature": False})
    from moto.cognitoidp.models import cognitoidp_backends

    pool = cognitoidp_backends["123456789012"]["eu-west-2"].user_pools[console.pool_id]
    expired = pool.create_jwt(console.client_id, "cw@example.org", "id", expires_in=-10, extra_data={})[0]
    assert console.get("/staff/cases", {"id_token": expired, "refresh_token": ""})["statusCode"] == 303
    other = console.cognito.create_user_pool(PoolName="other", UsernameAttributes=["email"])["UserPool"]["Id"]
    other_pool = cognitoidp_backends["123456789012"]["eu-west-2"].user_pools[other]
    other_pool.users = pool.users  # the same person, in a pool the console does not trust
    foreign = other_pool.create_jwt(console.client_id, "cw@example.org", "id", extra_data={"cognito:groups": []})[0]
    assert console.get("/staff/cases", {"id_token": foreign, "refresh_token": ""})["statusCode"] == 303
    assert claims["token_use"] == "id"


def test_an_expired_id_token_is_renewed_with_the_refresh_token(console: Console) -> None:
    real = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    console.login.refreshed = {"id_token": real["id_token"]}
    answer = console.get("/staff/cases", {"id_token": "expired.not.valid", "refresh_token": real["refresh_token"]})
    assert answer["statusCode"] == 200
    assert _cookie(answer, session.ID_COOKIE).startswith(f"{session.ID_COOKIE}={real['id_token']}")


def test_sign_out_needs_the_csrf_token_revokes_the_refresh_token_and_clears_the_cookies(console: Console) -> None:
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    missing = console.post("/staff/sign-out", tokens, {})
    assert missing["statusCode"] == 400
    assert console.login.revoked == []
    wrong = console.post("/staff/sign-out", tokens, {"csrf_token": session.Signer(b"other").csrf_token("x")})
    assert wrong["statusCode"] == 403
    assert console.login.revoked == []
    answer = console.post("/staff/sign-out", tokens, {"csrf_token": console.csrf(tokens)})
    assert answer["statusCode"] == 200
    assert 'content="0; url=https://login.example/logout"' in answer["body"]
    assert console.login.revoked == [tokens["refresh_token"]]
    assert "Max-Age=0" in _cookie(answer, session.ID_COOKIE) or "Max-Age=-1" in _cookie(answer, session.ID_COOKIE)
    console.login.refreshed = {"id_token": tokens["id_token"]}
    after = console.get("/staff/cases", {"id_token": "gone", "refresh_token": tokens["refresh_token"]})
    assert after["statusCode"] == 303  # the revoked refresh token renews nothing


def test_every_form_on_a_page_carries_the_sessions_csrf_token(console: Console) -> None:
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    page = console.get("/staff/cases", tokens)["body"]
    posts = page.count('method="post"')
    assert posts >= 1
    assert page.count(f'name="csrf_token" value="{console.csrf(tokens)}"') == posts
