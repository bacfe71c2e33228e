"""Tokens, their end and their renewal, without a cloud: the JWT reader, the secrets file, the credentials."""

import base64
import json
import os

from ampeco_ev_charger.ampeco import AuthError, ClientCredentials, ServerError, TokenGrant, token_expiry, token_issued
from ampeco_ev_charger.runtime.credentials import DAY, Configured, Credentials
from ampeco_ev_charger.runtime.logbook import Logbook
from ampeco_ev_charger.runtime.memory_file import Saved
from ampeco_ev_charger.runtime.secrets_file import SecretsFile

NOW = 1_764_000_000.0
CLIENT = ClientCredentials("app", "app-secret")


def jwt(**claims: object) -> str:
    def part(data: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'typ': 'JWT', 'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJl"


def test_a_jwt_says_when_it_ends_and_anything_else_has_no_date():
    token = jwt(iat=int(NOW), exp=int(NOW + 30 * DAY), sub="42")
    assert token_expiry(token) == NOW + 30 * DAY and token_issued(token) == NOW
    for other in ("plain-opaque-token", "a.b.c", jwt(sub="42"), jwt(exp="soon"), jwt(exp=True), "x.!!!.y"):
        assert token_expiry(other) is None


class Grants:
    """The cloud's refresh grant, as far as the credentials see it."""

    def __init__(self, *answers: TokenGrant | Exception) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    async def __call__(self, refresh_token: str, client: ClientCredentials) -> TokenGrant:
        self.asked.append(refresh_token)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def credentials(
    *answers: TokenGrant | Exception,
    lines: list | None = None,
    secrets: SecretsFile | None = None,
    expires_in: float = 30 * DAY,
    issued_ago: float = 0.0,
    refresh: str | None = "r1",
) -> tuple[Credentials, Grants]:
    lines = [] if lines is None else lines
    token = jwt(iat=int(NOW - issued_ago), exp=int(NOW + expires_in))
    grants = Grants(*answers)
    made = Credentials(
        Configured(token, refresh, CLIENT if refresh else None),
        Logbook(lambda m, level: lines.append((level, m)), []),
        lambda: NOW,
        grant=grants,
        saved=nothing,
        secrets=secrets,
    )
    return made, grants


async def nothing() -> None:
    """The memory file, which these tests do without."""


def saved(value: object, *, lost: bool = False) -> Saved:
    return Saved(value, "accounts.x", [], lost=lost)


async def test_a_rejected_token_is_renewed_once_and_the_new_pair_used():
    lines: list = []
    made, grants = credentials(TokenGrant("t2", "r2", NOW + DAY), lines=lines)
    first = made.access_token
    assert await made.renew(first) is True
    assert made.access_token == "t2" and made.current.refresh_token == "r2" and grants.asked == ["r1"]
    assert await made.renew(first) is True  # a request that waited meanwhile: already renewed, no new grant
    assert grants.asked == ["r1"]
    assert "r2" not in json.dumps(lines) and "t2" not in json.dumps(lines)


async def test_a_refused_grant_is_not_tried_again_and_says_what_to_do():
    made, grants = credentials(AuthError("the refresh token was refused (HTTP 400: invalid)"))
    assert await made.renew(made.access_token) is False
    assert await made.renew(made.access_token) is False
    assert grants.asked == ["r1"] and made.can_refresh is False
    assert "capture a new token and refresh token" in made.problem


async def test_a_grant_the_cloud_failed_to_answer_is_tried_again():
    made, grants = credentials(ServerError("the AMPECO cloud had an error (HTTP 503)"), TokenGrant("t2", "r2", None))
    assert await made.renew(made.access_token) is False and made.problem is None
    assert await made.renew(made.access_token) is True and grants.asked == ["r1", "r1"]


def test_renewal_is_due_15_days_before_the_end_or_once_half_a_short_life_has_gone():
    assert credentials(expires_in=30 * DAY)[0].renewal_due() is False  # Elaway's 30 days: renewed halfway
    assert credentials(expires_in=14 * DAY, issued_ago=16 * DAY)[0].renewal_due() is True
    assert credentials(expires_in=3600, issued_ago=3600)[0].renewal_due() is True  # a 2-hour token, at 1 hour
    assert credentials(expires_in=5400, issued_ago=1800)[0].renewal_due() is False
    assert credentials(expires_in=DAY, issued_ago=300 * DAY, refresh=None)[0].renewal_due() is False  # no grant


async def test_a_token_without_a_date_of_its_own_is_renewed_halfway_through_the_life_its_grant_gave():
    """An opaque token's end comes from the grant's `expires_in`: renewed once half of it has gone, not on every
    round (15 days ahead of a one-hour life would be always), also after a restart."""
    clock = [NOW]
    made, _ = credentials(TokenGrant("opaque", "r2", NOW + 3600, issued_at=NOW), expires_in=3600, issued_ago=3600)
    made.clock = lambda: clock[0]
    assert await made.renew(made.access_token) is True and made.renewal_due() is False
    clock[0] = NOW + 1700
    assert made.renewal_due() is False
    clock[0] = NOW + 1800
    assert made.renewal_due() is True
    again, _ = credentials(expires_in=3600, issued_ago=3600)  # the same tokens in apps.yaml, after a restart
    again.clock = lambda: NOW + 1700
    again.restore(saved(made.snapshot()))
    assert again.access_token == "opaque" and again.renewal_due() is False


def test_the_end_is_said_only_when_nothing_will_renew_the_token():
    assert credentials(expires_in=13 * DAY)[0].expiring() is False  # the refresh grant will renew it
    made = credentials(expires_in=13 * DAY, refresh=None)[0]
    assert made.expiring() is True and "the AMPECO token ends in 13 day(s)" in made.problem
    assert credentials(expires_in=15 * DAY, refresh=None)[0].expiring() is False


async def test_the_memory_keeps_only_a_renewed_pair_and_only_for_the_tokens_it_came_from():
    made, _ = credentials(TokenGrant("t2", "r2", NOW + DAY))
    assert "access_token" not in made.snapshot()  # never the tokens the user gave
    await made.renew(made.access_token)
    kept = made.snapshot()
    again, _ = credentials()
    again.configured = made.configured
    again.seed = made.seed
    again.restore(saved(kept))
    assert (again.access_token, again.current.refresh_token) == ("t2", "r2")
    other, _ = credentials(refresh="r9")  # the user gave new tokens since: theirs win
    other.restore(saved(kept))
    assert other.access_token != "t2"


async def test_a_token_replaced_in_the_secrets_file_is_taken_up(tmp_path):
    made, _ = credentials(refresh=None)
    path = tmp_path / "secrets.yaml"
    path.write_text(f"ampeco_token: {made.access_token}\nother: 1\n")
    made, _ = credentials(refresh=None, secrets=SecretsFile(path))
    await made.locate()
    assert await made.take_new_secrets() is False  # nothing new yet
    path.write_text("ampeco_token: eyJ.new.token\nother: 1\n")
    os.utime(path, (NOW + 60, NOW + 60))
    assert await made.take_new_secrets() is True and made.access_token == "eyJ.new.token"
    assert "under `ampeco_token`: the app takes it up within a minute" in made.advice


def test_a_secrets_file_half_written_is_read_again_once_it_changes(tmp_path):
    path = tmp_path / "secrets.yaml"
    path.write_text("ampeco_token: [unclosed\n")
    secrets = SecretsFile(path)
    assert secrets.value("ampeco_token") is None
    path.write_text("ampeco_token: abc\n")
    os.utime(path, (NOW, NOW))
    assert secrets.value("ampeco_token") == "abc" and secrets.name_of("abc") == "ampeco_token"


def test_without_a_secrets_file_the_advice_is_the_one_that_works():
    assert "as `auth_token` in apps.yaml: AppDaemon then reloads the app" in credentials()[0].advice
