"""The three CDS services, what a call to each must hold, and where its FHIR data comes from.

``order-select`` and ``order-sign`` read the draft orders in ``context.draftOrders`` (or STU3's
``context.medications``) and the patient's medications from prefetch; ``patient-view`` reads
prefetch only. A prefetch key the client left out is fetched from the request's ``fhirServer``
with its ``fhirAuthorization``, but only from a server the configuration lists; otherwise the
call is answered 412 (CDS Hooks: the service cannot get the data it needs). A key given as
``null`` means the client has no such data, which is fine. A search's next page on a server
other than ``fhirServer`` is never fetched (the token stays with its server); its link is kept
in the bundle, so that the FHIR reader reports the search as cut short (the medications of that
page are not read) rather than screening what it has as if complete.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = [
    "PREFETCH",
    "SERVICES",
    "FeedbackRequest",
    "HookCall",
    "HookService",
    "Problem",
    "fetch_prefetch",
    "missing_prefetch",
    "parse_feedback",
    "parse_hook_call",
]


class Problem(Exception):
    """A call answered with a 4xx: ``status``, a FHIR issue-type ``code`` and a message."""

    def __init__(
        self,
        status: int,
        code: str,
        diagnostics: str,
        *,
        locations: tuple[str, ...] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.code = code
        self.diagnostics = diagnostics
        self.locations = locations
        self.headers = dict(headers or {})


PREFETCH: Mapping[str, str] = {
    "medicationRequests": "MedicationRequest?patient={{context.patientId}}",
    "medicationStatements": "MedicationStatement?patient={{context.patientId}}",
}
"""The prefetch templates of every service: all of the patient's MedicationRequests and
MedicationStatements (the FHIR reader decides by status which count)."""


@dataclass(frozen=True, slots=True)
class HookService:
    id: str
    hook: str
    title: str
    description: str
    draft_orders: bool
    """Whether the service reads the draft orders in the context."""

    def discovery(self) -> dict[str, Any]:
        return {
            "hook": self.hook,
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "prefetch": dict(PREFETCH),
        }


_PURPOSE = (
    "Screens vitamin K (above all vitamin K2 supplements) against the patient's medications, "
    "anticoagulants first; every card cites the claims it rests on. Informational, not "
    "medical advice."
)
SERVICES: tuple[HookService, ...] = (
    HookService(
        "k2safety-order-select",
        "order-select",
        "k2safety: vitamin K2 screening of selected orders",
        f"{_PURPOSE} Reads the draft orders and the patient's MedicationRequests and "
        "MedicationStatements.",
        draft_orders=True,
    ),
    HookService(
        "k2safety-order-sign",
        "order-sign",
        "k2safety: vitamin K2 screening of orders to sign",
        f"{_PURPOSE} Reads the draft orders and the patient's MedicationRequests and "
        "MedicationStatements.",
        draft_orders=True,
    ),
    HookService(
        "k2safety-patient-view",
        "patient-view",
        "k2safety: vitamin K2 screening of the patient's medications",
        f"{_PURPOSE} Reads the patient's MedicationRequests and MedicationStatements.",
        draft_orders=False,
    ),
)

_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow", frozen=True)


class _FhirAuthorization(_Strict):
    access_token: str = Field(min_length=1, max_length=16_384)
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str
    subject: str


class HookCall(_Strict):
    """A CDS Hooks request body, as far as the service reads it."""

    hook: str = Field(min_length=1, max_length=200)
    hookInstance: str = Field(min_length=1, max_length=256)
    fhirServer: str | None = Field(default=None, max_length=2048)
    fhirAuthorization: _FhirAuthorization | None = None
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None


def _problems(error: ValidationError, prefix: str = "") -> Problem:
    issues = error.errors(include_url=False, include_input=False, include_context=False)
    locations = tuple(
        prefix + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in i["loc"])
        for i in issues
    )
    messages = "; ".join(
        f"{where.lstrip('.')}: {i['msg']}" for where, i in zip(locations, issues, strict=True)
    )
    return Problem(
        400, "invalid", f"the request body is not valid: {messages}", locations=locations
    )


def parse_hook_call(body: Mapping[str, Any], service: HookService) -> HookCall:
    """The call, checked for the service; raises :class:`Problem` (400) naming each field."""
    try:
        call = HookCall.model_validate(body)
    except ValidationError as error:
        raise _problems(error) from None
    if call.hook != service.hook:
        raise Problem(
            400,
            "invalid",
            f"this service answers the {service.hook} hook, not another one",
            locations=("hook",),
        )
    if call.fhirAuthorization is not None and call.fhirServer is None:
        raise Problem(400, "invalid", "fhirAuthorization is given without fhirServer")
    context = call.context
    patient = context.get("patientId")
    if not isinstance(patient, str) or not _FHIR_ID.match(patient):
        raise Problem(
            400,
            "invalid",
            "context.patientId must be a FHIR id (letters, digits, '-', '.')",
            locations=("context.patientId",),
        )
    if "userId" in context and not isinstance(context["userId"], str):
        raise Problem(400, "invalid", "context.userId must be text", locations=("context.userId",))
    if service.draft_orders:
        orders, medications = context.get("draftOrders"), context.get("medications")
        if orders is None and medications is None:
            raise Problem(
                400,
                "required",
                "context.draftOrders (a Bundle of the orders) is required",
                locations=("context.draftOrders",),
            )
        if orders is not None and not (
            isinstance(orders, dict) and orders.get("resourceType") == "Bundle"
        ):
            raise Problem(
                400,
                "invalid",
                "context.draftOrders must be a FHIR Bundle",
                locations=("context.draftOrders",),
            )
        if medications is not None and not isinstance(medications, dict | list):
            raise Problem(
                400,
                "invalid",
                "context.medications must be a Bundle or a list of resources",
                locations=("context.medications",),
            )
        selections = context.get("selections")
        if selections is not None and not (
            isinstance(selections, list) and all(isinstance(s, str) for s in selections)
        ):
            raise Problem(
                400,
                "invalid",
                "context.selections must be a list of references",
                locations=("context.selections",),
            )
    for key, value in (call.prefetch or {}).items():
        if key in PREFETCH and value is not None and not isinstance(value, dict):
            raise Problem(
                400,
                "invalid",
                f"prefetch.{key} must be a FHIR resource (a Bundle) or null",
                locations=(f"prefetch.{key}",),
            )
    return call


def missing_prefetch(call: HookCall) -> tuple[str, ...]:
    """The prefetch keys the call left out (a key given as null is not missing)."""
    given = call.prefetch or {}
    return tuple(key for key in PREFETCH if key not in given)


async def fetch_prefetch(
    call: HookCall,
    keys: tuple[str, ...],
    *,
    servers: tuple[str, ...],
    timeout: float,
    limit: int,
) -> dict[str, Any]:
    """Fetch the missing prefetch data from the call's FHIR server, or raise 412."""
    missing = ", ".join(keys)
    if call.fhirServer is None or call.fhirAuthorization is None:
        raise Problem(
            412,
            "incomplete",
            f"prefetch {missing} is missing and the request gives no fhirServer with "
            "fhirAuthorization to fetch it from",
            locations=tuple(f"prefetch.{key}" for key in keys),
        )
    server = call.fhirServer.rstrip("/")
    if server not in servers:
        raise Problem(
            412,
            "incomplete",
            f"prefetch {missing} is missing and fhirServer is not a server this service is "
            "configured to query (fhir_servers)",
            locations=("fhirServer",),
        )
    patient = str(call.context["patientId"])
    headers = {
        "Accept": "application/fhir+json, application/json",
        "Authorization": f"Bearer {call.fhirAuthorization.access_token}",
    }
    async with httpx.AsyncClient(
        timeout=timeout, follow_redirects=False, trust_env=False, headers=headers
    ) as client:
        bundles = await asyncio.gather(
            *(
                _search(
                    client, server, PREFETCH[key].replace("{{context.patientId}}", patient), limit
                )
                for key in keys
            )
        )
    return dict(zip(keys, bundles, strict=True))


_PAGES = 5


async def _search(client: httpx.AsyncClient, server: str, query: str, limit: int) -> Any:
    resource_type = query.split("?", 1)[0]
    url: str | None = f"{server}/{query}"
    entries: list[Any] = []
    elsewhere: list[dict[str, Any]] = []
    for _ in range(_PAGES):
        if url is None:
            break
        page = await _get_json(client, url, resource_type, limit)
        if not isinstance(page, dict) or page.get("resourceType") != "Bundle":
            raise Problem(
                412, "incomplete", f"the FHIR server's {resource_type} search is not a Bundle"
            )
        found = page.get("entry") or []
        entries += found if isinstance(found, list) else []
        url = None
        for link in page.get("link") or []:
            if isinstance(link, dict) and link.get("relation") == "next":
                following = link.get("url")
                # Only pages of the same server: never follow a link elsewhere with the token.
                if isinstance(following, str) and following.startswith(f"{server}/"):
                    url = following
                else:
                    # Kept, so that the FHIR reader reports the search as cut short.
                    elsewhere = [{"relation": "next", "url": following}]
    else:
        if url is not None:
            raise Problem(
                412,
                "incomplete",
                f"the FHIR server's {resource_type} search has more than {_PAGES} pages",
            )
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "entry": entries}
    if elsewhere:
        bundle["link"] = elsewhere
    return bundle


async def _get_json(client: httpx.AsyncClient, url: str, what: str, limit: int) -> Any:
    try:
        async with client.stream("GET", url) as response:
            if response.status_code != 200:
                raise Problem(
                    412,
                    "incomplete",
                    f"the FHIR server answered {response.status_code} to the {what} search",
                )
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > limit:
                    raise Problem(
                        412, "incomplete", f"the FHIR server's {what} search is too large"
                    )
    except httpx.HTTPError:
        raise Problem(
            412, "incomplete", f"the FHIR server could not be reached for the {what} search"
        ) from None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise Problem(412, "incomplete", f"the FHIR server's {what} search is not JSON") from None


# --- feedback ----------------------------------------------------------------------------------


class _Coding(_Strict):
    system: str = Field(min_length=1, max_length=2048)
    code: str = Field(min_length=1, max_length=256)
    display: str | None = Field(default=None, max_length=1024)


class _OverrideReason(_Strict):
    reason: _Coding | None = None
    userComment: str | None = Field(default=None, max_length=4000)


class _Accepted(_Strict):
    id: str = Field(min_length=1, max_length=256)


_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
_UUID = re.compile(r"^(urn:uuid:)?[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class FeedbackEntry(_Strict):
    card: str = Field(pattern=_UUID.pattern)
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[_Accepted] | None = Field(default=None, max_length=100)
    overrideReason: _OverrideReason | None = None
    outcomeTimestamp: str = Field(pattern=_TIMESTAMP.pattern)


class FeedbackRequest(_Strict):
    feedback: list[FeedbackEntry] = Field(min_length=1, max_length=100)


def parse_feedback(body: Mapping[str, Any]) -> FeedbackRequest:
    """The feedback, checked; raises :class:`Problem` (400) naming each bad field."""
    try:
        request = FeedbackRequest.model_validate(body)
    except ValidationError as error:
        raise _problems(error) from None
    for index, entry in enumerate(request.feedback):
        where = f"feedback[{index}]"
        try:
            datetime.fromisoformat(entry.outcomeTimestamp.replace("Z", "+00:00"))
        except ValueError:
            raise Problem(
                400,
                "invalid",
                f"{where}: outcomeTimestamp is not a real date and time",
                locations=(f"{where}.outcomeTimestamp",),
            ) from None
        if entry.outcome == "accepted" and not entry.acceptedSuggestions:
            raise Problem(
                400,
                "required",
                f"{where}: an accepted outcome needs acceptedSuggestions",
                locations=(f"{where}.acceptedSuggestions",),
            )
        if entry.outcome == "accepted" and entry.overrideReason is not None:
            raise Problem(
                400,
                "invalid",
                f"{where}: overrideReason goes with an overridden outcome only",
                locations=(f"{where}.overrideReason",),
            )
    return request
