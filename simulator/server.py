"""The AMPECO driver-app API over HTTP (aiohttp), plus a small control API under `/_sim/` for tests.

Faithful to `ampeco-api.md` by default; `Settings` switch on the documented tenant differences and
`Faults` inject failures, so the client's tolerance is exercised without making the default lax.
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timezone
from typing import Any

from aiohttp import web

from .broadcast import Echo
from .errors import SimError
from .faults import TRANSFORMS, Fault, Faults, transform
from .hostile import HOSTILE, hostile_answer
from .model import SimCharger, SimModel
from .render import active_json, charge_point_json, history_entry, session_json

API = "/api/v1/"
_STATUS_MESSAGES = {
    401: "Unauthenticated.",
    403: "This action is unauthorized.",
    404: "Not Found.",
    500: "Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass
class Settings:
    """Documented tenant differences (see ampeco-api.md, "Tolerance the client needs")."""

    latency: float = 0.0  # seconds added to every API answer
    evse_key: str = "id"  # start takes evses[i].id, or (some tenants) evses[i].identifier
    stop_path: str = "end"  # sessions end at /end, or (some tenants) at /stop
    start_answer: str = "session"  # "session": 200 with the session; "accepted": 202, empty body
    stop_answer: str = "session"
    embed_session: bool = True  # EVSEs carry their running session (some tenants leave the key out)
    active_endpoint: bool = True  # app/session/active exists (one tenant dropped it: 404)
    ongoing_endpoint: bool = False  # app/session/ongoing exists (an Elaway client uses it)
    single_shape: str = "data"  # app/personal/charge-points/{id} answers {"data": ...} or bare
    # Where the car's state of charge shows: "none", "evse" (socPercent), or carBatteryPercent in the active
    # answer "beside" its session or "inside" it.
    soc: str = "none"
    availability: bool = False  # EVSEs carry isAvailable (false while the charger is offline)
    broadcast: bool = True  # app/settings/global names the live-update server (when there is one)
    wrap_settings: bool = False  # app/settings/global and app/profile answer under "data" (not known which)
    broadcast_auth: int | None = None  # force this answer to the echo server's auth requests (401, 403, 500)
    token_lifetime: float = 365 * 86400.0  # of the tokens app/oauth/token hands out


@dataclass
class Request:
    method: str
    path: str
    status: int
    at: float
    token: str | None
    body: Any = None


class Gate:
    """Holds every API request until `open()`: a test can act while a request is certainly in flight."""

    def __init__(self) -> None:
        self.arrived = asyncio.Event()  # set once a request is waiting at the gate
        self._opened = asyncio.Event()

    async def pass_through(self) -> None:
        self.arrived.set()
        await self._opened.wait()

    def open(self) -> None:
        self._opened.set()


class Simulator:
    def __init__(self, model: SimModel, settings: Settings | None = None) -> None:
        self.model = model
        self.settings = settings or Settings()
        self.echo: Echo | None = None
        self._publishing: asyncio.Future[None] | None = None
        self.faults = Faults()
        self.requests: list[Request] = []
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}
        self.gate: Gate | None = None
        self.broadcast_auths: list[dict[str, str]] = []  # the echo server's auth requests, headers and all

    def broadcast_to(self, echo: Echo) -> None:
        """From now on, name `echo` as the live-update server and publish every change there (called while
        the simulator runs)."""
        self.echo, model = echo, self.model
        model.on_change = lambda account, name, data: echo.publish(
            echo.channel(model.auth.user_id(account)), name, data
        )
        if self._publishing is not None:
            self._publishing.cancel()  # a server named before: nothing goes there any more
        self._publishing = asyncio.ensure_future(echo.serve())

    async def close(self) -> None:
        if self._publishing is not None:
            self._publishing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publishing

    def hold(self) -> Gate:
        """From now on, API requests wait at a gate until it is opened."""
        self.gate = Gate()
        return self.gate

    def most_in_flight_per_account(self) -> int:
        """The most requests one account ever had in flight at once."""
        return max((n for key, n in self.max_in_flight.items() if key != "*"), default=0)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._api_middleware])
        routes = [
            ("GET", "app/personal/charge-points", self.list_charge_points),
            ("GET", "app/personal/charge-points/{cp}", self.get_charge_point),
            ("PATCH", "app/personal/charge-points/{cp}", self.patch_charge_point),
            ("GET", "app/session/active", self.active_session),
            ("GET", "app/session/ongoing", self.ongoing_sessions),
            ("POST", "app/oauth/token", self.oauth_token),
            ("GET", "app/settings/global", self.global_settings),
            ("GET", "app/profile", self.profile),
            ("POST", "app/session/start", self.start_session),
            ("GET", "app/session/{sid}", self.get_session),
            ("POST", "app/session/{sid}/{action}", self.end_session),
            ("GET", "app/profile/session_history", self.session_history),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, API + path, handler)
        control = [
            ("GET", "state", self.c_state),
            ("POST", "reset", self.c_reset),
            ("POST", "settings", self.c_settings),
            ("GET", "settings", self.c_settings),
            ("GET", "faults", self.c_faults),
            ("POST", "faults", self.c_faults),
            ("DELETE", "faults", self.c_faults),
            ("GET", "requests", self.c_requests),
            ("DELETE", "requests", self.c_requests),
            ("POST", "tokens", self.c_tokens),
            ("POST", "broadcast", self.c_broadcast),
            ("DELETE", "tokens", self.c_tokens),
            ("POST", "chargers/{cp}", self.c_charger),
            ("PUT", "accounts/{account}/chargers/{cp}", self.c_own),
            ("DELETE", "accounts/{account}/chargers/{cp}", self.c_own),
            ("POST", "chargers/{cp}/{action}", self.c_action),
        ]
        for method, path, control_handler in control:
            app.router.add_route(method, "/_sim/" + path, control_handler)
        app.router.add_post("/broadcasting/auth", self.broadcasting_auth)
        return app

    # --- cross-cutting: latency, faults, auth, request log --------------------------------------------

    @web.middleware
    async def _api_middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if not request.path.startswith(API):
            return await handler(request)
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else None
        key = self.model.auth.account_of(token) or token or "-"
        for counter in (key, "*"):  # per account, and "*" for all together
            self.in_flight[counter] = self.in_flight.get(counter, 0) + 1
            self.max_in_flight[counter] = max(self.max_in_flight.get(counter, 0), self.in_flight[counter])
        status, body = 0, None
        try:
            with contextlib.suppress(web.HTTPBadRequest):
                body = await _body(request)
            response = await self._answer(request, handler, token)
            status = response.status
            return response
        finally:
            self.in_flight[key] -= 1
            self.in_flight["*"] -= 1
            self.requests.append(
                Request(request.method, request.path[len(API) :], status, self.model.clock(), token, body)
            )

    async def _answer(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]], token: str | None
    ) -> web.StreamResponse:
        if self.gate is not None:
            await self.gate.pass_through()
        if self.settings.latency:
            await asyncio.sleep(self.settings.latency)
        fault = self.faults.take(request.method, request.path[len(API) :])
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay)
        elif fault is not None and fault.kind not in TRANSFORMS:
            return await self._faulty(request, fault)
        account = self.model.auth.account_of(token)
        if account is None and handler != self.oauth_token:
            return _error(401, "Unauthenticated.")
        request["account"] = account
        try:
            response = await handler(request)
        except SimError as err:
            return _error(err.status, err.message, err.errors, err.error)
        if fault is not None and fault.kind in TRANSFORMS and isinstance(response, web.Response) and response.body:
            data = transform(fault.kind, json.loads(response.text or "null"))
            return web.json_response(data, status=response.status)
        return response

    async def _faulty(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        if fault.kind == "status":
            return _error(fault.status, _STATUS_MESSAGES.get(fault.status, "Error"))
        if fault.kind == "rate_limit":
            headers = {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0"}
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            return web.json_response({"message": "Too Many Attempts."}, status=429, headers=headers)
        if fault.kind == "malformed":
            return web.Response(text='{"data": [{"id": "ACE05', content_type="application/json")
        if fault.kind == "wrong_shape":
            return web.json_response({"data": {"unexpected": True}, "items": "none"})
        if fault.kind == "disconnect":
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        if fault.kind in HOSTILE:
            return await hostile_answer(request, fault)
        return web.json_response(fault.body, status=fault.status, headers=fault.headers)

    # --- the API -------------------------------------------------------------------------------------

    def _cp(self, charger: SimCharger) -> dict[str, Any]:
        settings = self.settings
        return charge_point_json(
            charger,
            self.model.clock(),
            embed_session=settings.embed_session,
            soc=settings.soc == "evse",
            availability=settings.availability,
        )

    async def list_charge_points(self, request: web.Request) -> web.Response:
        chargers = self.model.account_chargers(request["account"])
        return web.json_response({"data": [self._cp(c) for c in chargers]})

    async def get_charge_point(self, request: web.Request) -> web.Response:
        charger = self.model.charger(request["account"], request.match_info["cp"])
        data = self._cp(charger)
        return web.json_response({"data": data} if self.settings.single_shape == "data" else data)

    async def patch_charge_point(self, request: web.Request) -> web.Response:
        charger = self.model.charger(request["account"], request.match_info["cp"])
        body = await _body(request)
        if "max_current_a" in body:
            self.model.set_limit(charger, body["max_current_a"])
        return web.json_response({"data": self._cp(charger)})

    async def active_session(self, request: web.Request) -> web.Response:
        """The account's running session, wherever it runs; 404 without one (or on a tenant without it)."""
        running = self.model.sessions_of(request["account"]) if self.settings.active_endpoint else []
        if not running:
            raise SimError(404, "Not Found.")
        charger, session = running[0]
        return web.json_response(active_json(charger, session, self.model.clock(), self.settings.soc))

    async def ongoing_sessions(self, request: web.Request) -> web.Response:
        """The account's running sessions, but for those of a full car (as the tenant that has it does)."""
        if not self.settings.ongoing_endpoint:
            raise SimError(404, "Not Found.")
        now = self.model.clock()
        sessions = [
            session_json(c, s, now)
            for c, s in self.model.sessions_of(request["account"])
            if c.evse_status != "suspendedEV"
        ]
        return web.json_response({"data": sessions})

    async def oauth_token(self, request: web.Request) -> web.Response:
        """Laravel Passport's token endpoint, for the refresh grant (form or JSON)."""
        body = dict(await request.post()) if request.content_type != "application/json" else await _body(request)
        if body.get("grant_type") != "refresh_token" or not body.get("refresh_token"):
            raise SimError(400, "The authorization grant type is not supported.", error="unsupported_grant_type")
        grant = self.model.auth.renew(
            str(body["refresh_token"]),
            str(body.get("client_id", "")),
            str(body.get("client_secret", "")),
            self.settings.token_lifetime,
        )
        return web.json_response(
            {
                "token_type": "Bearer",
                "expires_in": int(self.settings.token_lifetime),
                "access_token": grant.access_token,
                "refresh_token": grant.refresh_token,
            }
        )

    async def global_settings(self, _request: web.Request) -> web.Response:
        """The tenant's settings (a few of the many keys), with its live-update server where it has one."""
        data: dict[str, Any] = {"currency": "DKK", "locale": "da", "supportEmail": "support@example.invalid"}
        if self.echo is not None and self.settings.broadcast:
            data["broadcast"] = {"url": self.echo.url, "channelPrefix": self.echo.prefix}
        return web.json_response({"data": data} if self.settings.wrap_settings else data)

    async def profile(self, request: web.Request) -> web.Response:
        account = request["account"]
        data = {"id": self.model.auth.user_id(account), "firstName": "Sim", "email": f"{account}@example.invalid"}
        return web.json_response({"data": data} if self.settings.wrap_settings else data)

    async def broadcasting_auth(self, request: web.Request) -> web.Response:
        """What the echo server asks before it lets a socket listen on a private channel: the token must be
        valid, X-Endpoint must name this backend, and the channel must be the user's own."""
        self.broadcast_auths.append(dict(request.headers))
        if self.settings.broadcast_auth is not None:
            return _error(self.settings.broadcast_auth, "Forced by the simulator's settings.")
        auth = request.headers.get("Authorization", "")
        account = self.model.auth.account_of(auth[7:] if auth.startswith("Bearer ") else None)
        endpoint = f"{request.scheme}://{request.host}{API.rstrip('/')}"
        if account is None or request.headers.get("X-Endpoint") != endpoint:
            return _error(401, "Unauthenticated.")
        channel = (await request.post()).get("channel_name")
        if self.echo is None or channel != self.echo.channel(self.model.auth.user_id(account)):
            return _error(403, "This action is unauthorized.")
        return web.json_response({})

    async def start_session(self, request: web.Request) -> web.Response:
        """The EVSE the body names by this tenant's key, whoever's it is (ids and identifiers may overlap)."""
        body = await _body(request)
        key = "evse_id" if self.settings.evse_key == "id" else "identifier"
        charger = self.model.evse(key, body.get("evseId")) if body.get("evseId") is not None else None
        if charger is None:
            text = "The selected evse id is invalid."
            raise SimError(422, text, {"evseId": [text]})
        session = self.model.start(charger, request["account"])
        if self.settings.start_answer == "accepted":
            return web.Response(status=202)
        return web.json_response({"session": session_json(charger, session, self.model.clock(), "start")})

    async def end_session(self, request: web.Request) -> web.Response:
        if request.match_info["action"] != self.settings.stop_path:
            raise SimError(404, "Not Found.")
        charger, session = self.model.find_session(request["account"], request.match_info["sid"])
        if not session.is_open:
            raise SimError(404, "Session not found.")
        self.model.stop(charger)
        if self.settings.stop_answer == "accepted":
            return web.Response(status=202)
        return web.json_response({"session": session_json(charger, session, self.model.clock(), "end")})

    async def get_session(self, request: web.Request) -> web.Response:
        charger, session = self.model.find_session(request["account"], request.match_info["sid"])
        return web.json_response({"session": session_json(charger, session, self.model.clock(), "details")})

    async def session_history(self, request: web.Request) -> web.Response:
        """Finished sessions started between start_date and end_date (inclusive, UTC days), newest first."""
        account, now = request["account"], self.model.clock()
        try:
            first = date.fromisoformat(request.query["start_date"])
            last = date.fromisoformat(request.query["end_date"])
        except (KeyError, ValueError):
            text = "The start date and end date fields are required (YYYY-MM-DD)."
            raise SimError(422, text, {"start_date": [text]}) from None
        self.model.advance()
        entries = [
            history_entry(self.model.chargers[cid], s, now)
            for cid, s in reversed(self.model.history)
            if s.owner == account and first <= datetime.fromtimestamp(s.started_at, timezone.utc).date() <= last
        ]
        return web.json_response({"session_history": entries})

    # --- control API (tests and the demo) --------------------------------------------------------------

    async def c_state(self, _request: web.Request) -> web.Response:
        self.model.advance()
        return web.json_response(
            {
                "chargers": {
                    c.id: {
                        "plugged": c.plugged,
                        "evse_status": c.evse_status,
                        "max_current_a": c.max_current_a,
                        "session": None
                        if c.session is None
                        else {
                            "id": c.session.id,
                            "status": c.session.status,
                            "energy_kwh": round(c.session.energy_wh / 1000, 3),
                            "power_kw": round(c.session.power_w / 1000, 3),
                        },
                    }
                    for c in self.model.chargers.values()
                },
                "finished_sessions": [
                    {"chargepoint_id": cid, "id": s.id, "energy_kwh": round(s.energy_wh / 1000, 3)}
                    for cid, s in self.model.history
                ],
                "requests": len(self.requests),
                "faults_injected": self.faults.injected,
            }
        )

    async def c_reset(self, _request: web.Request) -> web.Response:
        self.faults.clear()
        self.requests.clear()
        self.settings = Settings()
        return web.json_response({"ok": True})

    async def c_settings(self, request: web.Request) -> web.Response:
        if request.method == "POST":
            body = await _body(request)
            names = {f.name for f in fields(Settings)}
            unknown = set(body) - names
            if unknown:
                raise web.HTTPBadRequest(text=f"unknown settings: {sorted(unknown)}")
            for name, value in body.items():
                setattr(self.settings, name, value)
        return web.json_response(asdict(self.settings))

    async def c_faults(self, request: web.Request) -> web.Response:
        if request.method == "POST":
            try:
                self.faults.add(Fault(**await _body(request)))
            except (TypeError, ValueError) as err:
                raise web.HTTPBadRequest(text=str(err)) from None
        elif request.method == "DELETE":
            self.faults.clear()
        return web.json_response({"faults": self.faults.describe(), "injected": self.faults.injected})

    async def c_requests(self, request: web.Request) -> web.Response:
        if request.method == "DELETE":
            self.requests.clear()
            self.max_in_flight.clear()
        return web.json_response({"requests": [asdict(r) for r in self.requests], "max_in_flight": self.max_in_flight})

    def _control_charger(self, request: web.Request) -> SimCharger:
        charger = self.model.chargers.get(request.match_info["cp"])
        if charger is None:
            raise web.HTTPNotFound(text="no such charger")
        return charger

    async def c_broadcast(self, request: web.Request) -> web.Response:
        """POST {url, app_id, key}: a laravel-echo-server to name in the settings and publish changes to."""
        body = await _body(request)
        self.broadcast_to(Echo(str(body["url"]), str(body["app_id"]), str(body["key"])))
        return web.json_response({"ok": True})

    async def c_tokens(self, request: web.Request) -> web.Response:
        """POST {account, lifetime, refresh}: a new token (and refresh token) for an account, as its owner's
        log-in would give; DELETE {token}: the token no longer opens anything (logged out everywhere)."""
        body = await _body(request)
        auth = self.model.auth
        if request.method == "DELETE":
            auth.revoke(str(body.get("token", "")))
            return web.json_response({"ok": True})
        account = str(body.get("account") or next(iter(self.model.accounts)))
        grant = auth.issue(account, float(body.get("lifetime", 365 * 86400)), refresh=bool(body.get("refresh", True)))
        return web.json_response(asdict(grant))

    async def c_charger(self, request: web.Request) -> web.Response:
        """Change a charger: plugged, car_needs_kwh, faulted, status_override, power_unit, energy_unit,
        available, rebooting, reimbursement_eligible (for the sessions started from then on)."""
        charger = self._control_charger(request)
        body = await _body(request)
        if "plugged" in body:
            self.model.plug(charger, bool(body.pop("plugged")), body.pop("car_needs_kwh", None))
        if "car_needs_kwh" in body:
            charger.car_needs_wh = float(body.pop("car_needs_kwh")) * 1000
        for name in (
            "faulted",
            "status_override",
            "power_unit",
            "energy_unit",
            "available",
            "rebooting",
            "reimbursement_eligible",
        ):
            if name in body:
                setattr(charger, name, body.pop(name))
        if body:
            raise web.HTTPBadRequest(text=f"unknown charger settings: {sorted(body)}")
        return await self.c_state(request)

    async def c_own(self, request: web.Request) -> web.Response:
        """PUT: a new charger on an account (its id, the rest made up; body: name); DELETE: off its account."""
        chargepoint_id = request.match_info["cp"]
        if request.method == "DELETE":
            self.model.remove_charger(chargepoint_id)
        else:
            body = await _body(request)
            number = len(self.model.chargers)
            charger = SimCharger(
                id=chargepoint_id,
                name=str(body.get("name", f"Charger {number}")),
                evse_id=str(700000 + number),
                identifier=str(7000 + number),
            )
            self.model.add_charger(request.match_info["account"], charger)
        return await self.c_state(request)

    async def c_action(self, request: web.Request) -> web.Response:
        """What the driver does outside Home Assistant: `start` or `stop` from the phone app."""
        charger = self._control_charger(request)
        action = request.match_info["action"]
        try:
            if action == "start":
                self.model.start(charger)
            elif action == "stop":
                self.model.stop(charger, reason="local")
            else:
                raise web.HTTPNotFound(text=f"unknown action {action!r}")
        except SimError as err:
            return _error(err.status, err.message)
        return await self.c_state(request)


def _error(
    status: int, message: str, errors: dict[str, list[str]] | None = None, error: str | None = None
) -> web.Response:
    body: dict[str, Any] = {"message": message}
    if errors:
        body["errors"] = errors
    if error:
        body |= {"error": error, "error_description": message}
    return web.json_response(body, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    try:
        body = await request.json()
    except json.JSONDecodeError:
        raise web.HTTPBadRequest(text="the body is not JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="the body must be a JSON object")
    return body


@contextlib.asynccontextmanager
async def running(simulator: Simulator, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """Serve `simulator` on loopback; yields its base URL (what apps.yaml calls api_host)."""
    # Like a real server, stop working on a request whose client has hung up (e.g. after its timeout).
    runner = web.AppRunner(simulator.app(), access_log=None, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port  # the bound port when 0 was asked for
    try:
        yield f"http://{host}:{bound}"
    finally:
        await simulator.close()
        await runner.cleanup()
