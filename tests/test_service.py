"""The CDS Hooks service through its HTTP interface (httpx's ASGI client): discovery, the three
hooks, prefetch and 412, clinician cards, feedback in SQLite, CORS, errors as OperationOutcomes,
configuration, and ``k2safety feedback list``.

Authentication is on in every test here unless a test says otherwise; tokens are signed with
keys made for the run. ``tests/test_service_auth.py`` tests every way a token is refused.
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import os
import sqlite3
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from test_service_support import (
    BASE,
    ORDER_SELECT,
    ORDER_SIGN,
    PATIENT_VIEW,
    REASONS,
    Keys,
    asgi_client,
    bearer,
    bundle,
    claims,
    config,
    endpoint,
    hook_request,
    json_server,
    k2_order,
    k2_statement,
    make_app,
    outcome,
    sign,
    warfarin_order,
    warfarin_with_k2,
)

from k2safety._knowledge import knowledge
from k2safety.service import (
    PREFETCH,
    SCHEMA_VERSION,
    SERVICES,
    CardsError,
    ConfigError,
    StoreError,
    load_config,
    open_store,
)
from k2safety.service._cards import (
    DETAIL_LIMIT,
    SUMMARY_LIMIT,
    card_uuid,
    escape_markdown,
    load_card_texts,
)
from k2safety.service._store import MIGRATIONS

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
CARDS_TOML = ROOT / "k2safety" / "data" / "cards.toml"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


@pytest.fixture
def app(tmp_path: Path, keys: Keys) -> Any:
    return make_app(config(tmp_path, keys))


def auth(keys: Keys, service: str | None = None, *, feedback: bool = False) -> dict[str, str]:
    return bearer(sign(keys.ec, claims(endpoint(service, feedback=feedback))))


async def post_hook(app: Any, keys: Keys, service: str, body: Any) -> Any:
    async with asgi_client(app) as client:
        return await client.post(f"/cds-services/{service}", json=body, headers=auth(keys, service))


# --- discovery -----------------------------------------------------------------------------------


async def test_discovery_lists_the_three_services_with_their_prefetch(app: Any, keys: Keys) -> None:
    async with asgi_client(app) as client:
        response = await client.get("/cds-services", headers=auth(keys))
    assert response.status_code == 200
    services = response.json()["services"]
    assert [(s["id"], s["hook"]) for s in services] == [
        (ORDER_SELECT, "order-select"),
        (ORDER_SIGN, "order-sign"),
        (PATIENT_VIEW, "patient-view"),
    ]
    for service in services:
        assert service["description"]
        assert service["title"]
        assert service["prefetch"] == {
            "medicationRequests": "MedicationRequest?patient={{context.patientId}}",
            "medicationStatements": "MedicationStatement?patient={{context.patientId}}",
        }


async def test_discovery_needs_a_token_too(app: Any) -> None:
    async with asgi_client(app) as client:
        response = await client.get("/cds-services")
    assert response.status_code == 401
    assert "Bearer" in outcome(response)


# --- the hooks -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "hook"),
    [(ORDER_SELECT, "order-select"), (ORDER_SIGN, "order-sign"), (PATIENT_VIEW, "patient-view")],
)
async def test_each_hook_gives_a_critical_card_for_warfarin_with_k2(
    app: Any, keys: Keys, service: str, hook: str
) -> None:
    response = await post_hook(app, keys, service, warfarin_with_k2(hook))
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    critical = [card for card in cards if card["indicator"] == "critical"]
    assert [card["source"]["topic"]["code"] for card in critical] == ["K2-VKA"]
    card = critical[0]
    assert card["summary"] == load_card_texts(knowledge()).rules["K2-VKA"].summary
    assert len(card["summary"]) < 140
    assert "Warfarin" in card["detail"]
    assert "**Based on:**" in card["detail"]


async def test_order_sign_reads_a_k2_draft_order_against_prefetched_warfarin(
    app: Any, keys: Keys
) -> None:
    body = hook_request(orders=(k2_order(),), requests=(warfarin_order("active"),))
    response = await post_hook(app, keys, ORDER_SIGN, body)
    assert response.status_code == 200, response.text
    assert "critical" in [card["indicator"] for card in response.json()["cards"]]


async def test_a_k2_statement_without_a_dose_still_gives_the_critical_card(
    app: Any, keys: Keys
) -> None:
    undosed = {key: value for key, value in k2_statement().items() if key != "dosage"}
    body = hook_request(requests=(warfarin_order("active"),), statements=(undosed,))
    response = await post_hook(app, keys, ORDER_SIGN, body)
    assert response.status_code == 200, response.text
    codes = {card["source"]["topic"]["code"]: card for card in response.json()["cards"]}
    assert codes["K2-VKA"]["indicator"] == "critical"
    assert "K2-DOSE-NOT-STATED" in codes


async def test_a_stopped_warfarin_order_gives_no_critical_card(app: Any, keys: Keys) -> None:
    body = hook_request(orders=(k2_order(),), requests=(warfarin_order("stopped"),))
    response = await post_hook(app, keys, ORDER_SIGN, body)
    assert response.status_code == 200, response.text
    assert "critical" not in [card["indicator"] for card in response.json()["cards"]]


async def test_prefetch_keys_given_as_null_mean_no_data(app: Any, keys: Keys) -> None:
    body = hook_request(orders=(warfarin_order(), k2_order()), requests=None, statements=None)
    response = await post_hook(app, keys, ORDER_SIGN, body)
    assert response.status_code == 200, response.text
    assert response.json()["cards"][0]["indicator"] == "critical"


async def test_nothing_to_say_is_an_empty_list_of_cards(app: Any, keys: Keys) -> None:
    response = await post_hook(app, keys, PATIENT_VIEW, hook_request("patient-view"))
    assert response.status_code == 200
    assert response.json() == {"cards": []}


async def test_min_indicator_leaves_out_lesser_cards(tmp_path: Path, keys: Keys) -> None:
    app = make_app(config(tmp_path, keys, min_indicator="warning"))
    response = await post_hook(app, keys, ORDER_SIGN, warfarin_with_k2())
    assert [card["indicator"] for card in response.json()["cards"]] == ["critical"]


# --- prefetch and 412 -----------------------------------------------------------------------------


async def test_missing_prefetch_without_a_fhir_server_is_412_with_an_outcome(
    app: Any, keys: Keys
) -> None:
    body = warfarin_with_k2(prefetch=False)
    response = await post_hook(app, keys, ORDER_SIGN, body)
    assert response.status_code == 412
    assert response.headers["content-type"].startswith("application/fhir+json")
    assert response.json()["issue"][0]["code"] == "incomplete"
    assert "medicationRequests" in outcome(response)


async def test_one_missing_prefetch_key_is_enough_for_412(app: Any, keys: Keys) -> None:
    body = warfarin_with_k2()
    del body["prefetch"]["medicationStatements"]
    response = await post_hook(app, keys, ORDER_SIGN, body)
    assert response.status_code == 412
    assert "medicationStatements" in outcome(response)


def _fhir_answer(handler: Any) -> tuple[int, Any]:
    if handler.headers.get("Authorization") != "Bearer fhir-token-123":
        return 401, {"resourceType": "OperationOutcome"}
    if handler.path.startswith("/fhir/MedicationRequest?patient=p1"):
        return 200, bundle(warfarin_order("active"))
    if handler.path.startswith("/fhir/MedicationStatement?patient=p1"):
        return 200, bundle(k2_statement())
    return 404, {"resourceType": "OperationOutcome"}


def _fetching_request(server: str, scope: str) -> dict[str, Any]:
    """A patient-view request without prefetch, for the service to fetch from ``server``."""
    body = hook_request("patient-view", prefetch=False)
    body["fhirServer"] = f"{server}/fhir"
    body["fhirAuthorization"] = {
        "access_token": "fhir-token-123",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": scope,
        "subject": "k2safety",
    }
    return body


async def test_missing_prefetch_is_fetched_from_a_configured_fhir_server(
    tmp_path: Path, keys: Keys
) -> None:
    with json_server(_fhir_answer) as (server, seen):
        app = make_app(config(tmp_path, keys, fhir_servers=(f"{server}/fhir",)))
        body = _fetching_request(
            server, "patient/MedicationRequest.read patient/MedicationStatement.read"
        )
        response = await post_hook(app, keys, PATIENT_VIEW, body)
        assert response.status_code == 200, response.text
        assert response.json()["cards"][0]["indicator"] == "critical"
        assert sorted(request["path"] for request in seen) == [
            "/fhir/MedicationRequest?patient=p1",
            "/fhir/MedicationStatement?patient=p1",
        ]

        body["fhirAuthorization"]["access_token"] = "wrong"
        body["hookInstance"] = "another"
        refused = await post_hook(app, keys, PATIENT_VIEW, body)
        assert refused.status_code == 412
        assert "answered 401" in outcome(refused)


async def test_a_failed_prefetch_is_an_incomplete_screen_not_a_clean_one(
    app: Any, keys: Keys
) -> None:
    """A prefetch the client could not get comes as an OperationOutcome: the patient's
    medications are unknown, so the K2 order's screen must not read as complete."""
    body = hook_request(orders=(k2_order(),), statements=None)
    body["prefetch"]["medicationRequests"] = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout"}],
    }
    response = await post_hook(app, keys, ORDER_SIGN, body)
    assert response.status_code == 200, response.text
    cards = {card["source"]["topic"]["code"]: card for card in response.json()["cards"]}
    assert cards["K2-INCOMPLETE-SCREEN"]["indicator"] == "warning"


async def test_a_search_page_on_another_server_is_not_fetched_and_not_forgotten(
    tmp_path: Path, keys: Keys
) -> None:
    def answer(handler: Any) -> tuple[int, Any]:
        if handler.path.startswith("/fhir/MedicationRequest?patient=p1"):
            page = bundle(k2_statement())
            page["link"] = [{"relation": "next", "url": "http://elsewhere.example/fhir/p2"}]
            return 200, page
        if handler.path.startswith("/fhir/MedicationStatement?patient=p1"):
            return 200, bundle()
        return 404, {"resourceType": "OperationOutcome"}

    with json_server(answer) as (server, seen):
        app = make_app(config(tmp_path, keys, fhir_servers=(f"{server}/fhir",)))
        body = _fetching_request(server, "patient/*.read")
        response = await post_hook(app, keys, PATIENT_VIEW, body)
    assert response.status_code == 200, response.text
    assert len(seen) == 2  # the page elsewhere is never asked for
    codes = [card["source"]["topic"]["code"] for card in response.json()["cards"]]
    assert "K2-INCOMPLETE-SCREEN" in codes


async def test_a_fhir_server_not_in_the_config_is_never_queried(tmp_path: Path, keys: Keys) -> None:
    with json_server(_fhir_answer) as (server, seen):
        app = make_app(config(tmp_path, keys))
        body = _fetching_request(server, "patient/*.read")
        response = await post_hook(app, keys, PATIENT_VIEW, body)
    assert response.status_code == 412
    assert "fhir_servers" in outcome(response)
    assert seen == []


# --- bad input: always a 4xx with a clear OperationOutcome ----------------------------------------


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        (lambda b: b.update(hook="patient-view"), 400, "answers the order-sign hook"),
        (lambda b: b.update(hookInstance=5), 400, "hookInstance"),
        (lambda b: b.pop("context"), 400, "context"),
        (lambda b: b.update(context=[]), 400, "context"),
        (lambda b: b["context"].pop("patientId"), 400, "patientId"),
        (lambda b: b["context"].update(patientId="p1/../x"), 400, "patientId"),
        (lambda b: b["context"].update(draftOrders="warfarin"), 400, "draftOrders"),
        (lambda b: b["context"].pop("draftOrders"), 400, "draftOrders"),
        (lambda b: b["context"].update(selections=[1]), 400, "selections"),
        (lambda b: b.update(prefetch={"medicationRequests": 1}), 400, "medicationRequests"),
        (lambda b: b.update(fhirAuthorization={"access_token": "x"}), 400, "fhirAuthorization"),
        (
            lambda b: b["context"]["draftOrders"]["entry"][0]["resource"].update(status=7),
            422,
            "status",
        ),
    ],
)
async def test_a_bad_request_is_a_4xx_naming_what_is_wrong(
    app: Any, keys: Keys, change: Any, status: int, words: str
) -> None:
    body = warfarin_with_k2()
    change(body)
    response = await post_hook(app, keys, ORDER_SIGN, body)
    assert response.status_code == status, response.text
    assert words in outcome(response)


@pytest.mark.parametrize(
    ("content", "content_type", "status", "words"),
    [
        (b"{not json", "application/json", 400, "not valid JSON"),
        (b"[1, 2]", "application/json", 400, "must be a JSON object"),
        (b'{"hook": NaN}', "application/json", 400, "not valid JSON"),
        (b'{"hook": 1, "hook": 2}', "application/json", 400, '"hook" twice'),
        (b"\xff\xfe{}", "application/json", 400, "not UTF-8"),
        (b"[" * 100_000, "application/json", 400, "not valid JSON"),
        (b"{}", "text/plain", 415, "must be JSON"),
        (b"{}", "", 415, "must be JSON"),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_refused(
    app: Any, keys: Keys, content: bytes, content_type: str, status: int, words: str
) -> None:
    headers = auth(keys, ORDER_SIGN) | {"Content-Type": content_type}
    async with asgi_client(app) as client:
        response = await client.post(
            f"/cds-services/{ORDER_SIGN}", content=content, headers=headers
        )
    assert response.status_code == status, response.text
    assert words in outcome(response)


async def test_a_body_over_the_limit_is_413_declared_or_streamed(
    tmp_path: Path, keys: Keys
) -> None:
    app = make_app(config(tmp_path, keys, max_body_bytes=2048))
    big = json.dumps({"hook": "order-sign", "padding": "x" * 4096}).encode()
    headers = auth(keys, ORDER_SIGN) | {"Content-Type": "application/json"}
    async with asgi_client(app) as client:
        declared = await client.post(f"/cds-services/{ORDER_SIGN}", content=big, headers=headers)

        async def chunks() -> Any:
            for start in range(0, len(big), 512):
                yield big[start : start + 512]

        headers = auth(keys, ORDER_SIGN) | {"Content-Type": "application/json"}
        streamed = await client.post(
            f"/cds-services/{ORDER_SIGN}", content=chunks(), headers=headers
        )
    for response in (declared, streamed):
        assert response.status_code == 413
        assert "over 2048 bytes" in outcome(response)


async def test_unknown_services_addresses_and_methods(app: Any, keys: Keys) -> None:
    async with asgi_client(app) as client:
        unknown = await client.post(
            "/cds-services/nope", json=warfarin_with_k2(), headers=auth(keys, "nope")
        )
        nowhere = await client.get("/nowhere")
        wrong_method = await client.get(f"/cds-services/{ORDER_SIGN}")
    assert unknown.status_code == 404
    assert "no CDS service" in outcome(unknown)
    assert nowhere.status_code == 404
    assert outcome(nowhere)
    assert wrong_method.status_code == 405
    assert outcome(wrong_method)


async def test_every_answer_carries_nosniff_and_no_store(app: Any, keys: Keys) -> None:
    response = await post_hook(app, keys, ORDER_SIGN, warfarin_with_k2())
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


# --- cards ---------------------------------------------------------------------------------------


async def test_card_uuids_are_unique_per_call_and_stable_on_retry(app: Any, keys: Keys) -> None:
    first = warfarin_with_k2(instance="instance-1")
    again = warfarin_with_k2(instance="instance-1")
    other = warfarin_with_k2(instance="instance-2")
    responses = [await post_hook(app, keys, ORDER_SIGN, body) for body in (first, again, other)]
    uuids = [[card["uuid"] for card in r.json()["cards"]] for r in responses]
    assert uuids[0] == uuids[1]
    assert not set(uuids[0]) & set(uuids[2])
    assert len(set(uuids[0])) == len(uuids[0])
    selected = await post_hook(
        app, keys, ORDER_SELECT, warfarin_with_k2("order-select", instance="instance-1")
    )
    assert not set(uuids[0]) & {card["uuid"] for card in selected.json()["cards"]}
    assert uuids[0][0] == card_uuid(ORDER_SIGN, "instance-1", "K2-VKA")


async def test_a_card_offers_coded_override_reasons_a_link_and_a_topic(
    app: Any, keys: Keys
) -> None:
    response = await post_hook(app, keys, ORDER_SIGN, warfarin_with_k2())
    card = response.json()["cards"][0]
    assert card["overrideReasons"]
    for reason in card["overrideReasons"]:
        assert reason["system"] == REASONS
        assert reason["code"]
        assert reason["display"]
    assert card["links"] == [
        {
            "label": "K2-VKA: what the rule checks and the claims it rests on",
            "url": f"{BASE}/rules/K2-VKA",
            "type": "absolute",
        }
    ]
    assert card["source"]["topic"]["code"] == "K2-VKA"
    assert card["source"]["label"].startswith("k2safety")
    assert "selectionBehavior" not in card
    assert "suggestions" not in card


async def test_links_point_to_the_docs_site_when_it_is_configured(
    tmp_path: Path, keys: Keys
) -> None:
    app = make_app(config(tmp_path, keys, docs_url="https://docs.example.org/k2safety/"))
    card = (await post_hook(app, keys, ORDER_SIGN, warfarin_with_k2())).json()["cards"][0]
    assert card["links"][0]["url"] == "https://docs.example.org/k2safety/rules/K2-VKA/"
    assert card["source"]["url"] == "https://docs.example.org/k2safety"


async def test_the_rule_page_the_link_points_to(app: Any) -> None:
    async with asgi_client(app) as client:
        page = await client.get("/rules/K2-VKA")
        missing = await client.get("/rules/K2-NOPE")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "K2-VKA" in page.text
    assert "<script" not in page.text
    assert missing.status_code == 404


HOSTILE = "[Confirm dose](https://evil.example) <img src=x onerror=alert(1)>"


async def test_user_supplied_text_is_escaped_in_the_card(app: Any, keys: Keys) -> None:
    order = warfarin_order()
    order["medicationCodeableConcept"]["text"] = f"Warfarin {HOSTILE}"
    order["medicationCodeableConcept"]["coding"][0]["display"] = f"Warfarin\n# Heading {HOSTILE}"
    body = hook_request(orders=(order,), statements=(k2_statement(),))
    response = await post_hook(app, keys, ORDER_SIGN, body)
    detail = response.json()["cards"][0]["detail"]
    assert "<img" not in detail
    assert "](" not in detail
    assert "\n# " not in detail
    assert escape_markdown(f"Warfarin {HOSTILE}") in detail
    # As a CommonMark renderer with GitHub's extensions (linkify too) shows it: all text.
    rendered = MarkdownIt("gfm-like").render(detail)
    assert "<img" not in rendered
    assert "<a " not in rendered
    assert "<h1" not in rendered
    assert "[Confirm dose](https://evil.example) &lt;img src=x onerror=alert(1)&gt;" in rendered


async def test_a_detail_stays_bounded_however_many_entries(app: Any, keys: Keys) -> None:
    orders = []
    for number in range(60):
        order = warfarin_order()
        order["id"] = f"w{number}"
        order["medicationCodeableConcept"]["text"] = f"Warfarin {number} " + "&<*" * 300
        orders.append(order)
    body = hook_request(orders=tuple(orders), statements=(k2_statement(),))
    response = await post_hook(app, keys, ORDER_SIGN, body)
    assert response.status_code == 200, response.text
    for card in response.json()["cards"]:
        assert len(card["detail"]) <= DETAIL_LIMIT
    assert "more entries" in response.json()["cards"][0]["detail"]


@pytest.mark.parametrize(
    "text",
    [
        "a\x1b[31m\u202eb\r\n> quote | pipe `code` *em* _u_ ~s~ !\\ &amp; <b>x</b>",
        "# heading\n\n- item\n1. one\n---\n| a | b |\n|---|---|",
        "![img](https://x.example/i.png) <https://x.example> www.x.example a@b.example",
        "[link][ref]\n\n[ref]: https://evil.example",
    ],
)
def test_escaped_text_renders_as_the_same_text_and_nothing_else(text: str) -> None:
    escaped = escape_markdown(text, limit=500)
    assert not any(unicodedata.category(char)[0] == "C" for char in escaped)
    rendered = MarkdownIt("gfm-like").render(f"- Medication: {escaped}")
    shown = " ".join(
        "".join(c if unicodedata.category(c)[0] not in "CZ" else " " for c in text).split()
    )
    assert rendered == f"<ul>\n<li>Medication: {html.escape(shown, quote=False)}</li>\n</ul>\n"


def test_every_rule_has_clinician_texts_of_the_right_length() -> None:
    texts = load_card_texts(knowledge())
    assert set(texts.rules) == set(knowledge().rules)
    for code, rule in texts.rules.items():
        assert 0 < len(rule.summary) <= SUMMARY_LIMIT, code
        assert "{" not in rule.summary + rule.detail, code
    assert texts.version == knowledge().version


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (
            lambda t: t.replace("[cards.K2-CONSULT]", "[cards.K2-NOT-A-RULE]"),
            "missing ['K2-CONSULT']",
        ),
        (
            lambda t: t + '\n[cards.K2-EXTRA]\nsummary = "x"\ndetail = "y"\n',
            "naming no rule ['K2-EXTRA']",
        ),
        (
            lambda t: t.replace('version = "', 'version = "1999.1.0', 1).replace(
                "1999.1.0" + knowledge().version, "1999.1.0"
            ),
            "version",
        ),
        (
            lambda t: t.replace(
                'summary = "Vitamin K2 planned without',
                'summary = "' + "x" * 140 + " Vitamin K2 planned without",
            ),
            "fewer than 140",
        ),
        (
            lambda t: t.replace(
                "{mk7_typical_min} micrograms a day. \\", "90 micrograms a day. \\", 1
            ),
            "writes 90 by hand",
        ),
        (lambda t: t.replace("{mk7_foods}", "{not_a_list}"), "{not_a_list}"),
        (lambda t: t.replace('code = "not-relevant"', 'code = "supervised"'), "used twice"),
        (lambda t: t.replace("detail = ", "details = ", 1), "malformed"),
    ],
)
def test_cards_toml_is_checked_against_the_knowledge_base(edit: Any, words: str) -> None:
    text = edit(CARDS_TOML.read_text("utf-8"))
    with pytest.raises(CardsError, match=None) as raised:
        load_card_texts(knowledge(), text)
    assert words in str(raised.value)


# --- feedback -------------------------------------------------------------------------------------


def _overridden(card: str, code: str = "supervised", comment: str = "INR checked weekly") -> Any:
    return {
        "feedback": [
            {
                "card": card,
                "outcome": "overridden",
                "overrideReason": {
                    "reason": {"system": REASONS, "code": code},
                    "userComment": comment,
                },
                "outcomeTimestamp": "2026-11-30T10:15:00Z",
            }
        ]
    }


async def _feedback(app: Any, keys: Keys, body: Any, service: str = ORDER_SIGN) -> Any:
    async with asgi_client(app) as client:
        return await client.post(
            f"/cds-services/{service}/feedback",
            json=body,
            headers=auth(keys, service, feedback=True),
        )


async def test_feedback_is_stored_in_sqlite_and_read_back(
    tmp_path: Path, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = config(tmp_path, keys)
    app = make_app(cfg)
    card = (await post_hook(app, keys, ORDER_SIGN, warfarin_with_k2(instance="i-1"))).json()[
        "cards"
    ][0]
    response = await _feedback(app, keys, _overridden(card["uuid"]))
    assert response.status_code == 200, response.text
    assert response.json() == {"stored": 1}
    accepted = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": "s-1"}],
                "outcomeTimestamp": "2026-11-30T10:16:00.5+01:00",
            }
        ]
    }
    assert (await _feedback(app, keys, accepted)).status_code == 200

    store = open_store(cfg.database)
    (row,) = store.feedback()
    assert (row.rule_code, row.hook_instance, row.service) == ("K2-VKA", "i-1", ORDER_SIGN)
    assert (row.reason_code, row.user_comment) == ("supervised", "INR checked weekly")
    assert row.reason_display == "Patient is under close medical supervision for this"
    assert row.client == "https://ehr.example.org"
    assert [r.outcome for r in store.feedback(outcome=None)] == ["accepted", "overridden"]
    store.close()

    assert _feedback_cli("--database", cfg.database) == 0
    text = capsys.readouterr().out
    assert "overridden  K2-VKA  k2safety-order-sign" in text
    assert "reason: supervised (Patient is under close medical supervision for this)" in text
    assert "comment: INR checked weekly" in text
    assert "accepted" not in text.split("\n", 1)[0]
    assert _feedback_cli("--database", cfg.database, "--outcome", "all", "--format", "json") == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["outcome"] for line in lines] == ["accepted", "overridden"]


def _feedback_cli(*arguments: str) -> int:
    from k2safety.cli import _feedback

    parser = argparse.ArgumentParser(prog="k2safety")
    _feedback.register(parser.add_subparsers())
    args = parser.parse_args(["feedback", "list", *arguments])
    status: int = args.handler(args)
    return status


def test_feedback_list_says_why_it_cannot_read(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "bad.toml").write_text("database = 5\n")
    assert _feedback_cli("--config", str(tmp_path / "bad.toml")) == 4
    assert "database" in capsys.readouterr().err
    assert _feedback_cli("--database", str(tmp_path / "none" / "x.sqlite3")) == 4
    assert "cannot open" in capsys.readouterr().err


async def test_feedback_list_shows_no_terminal_control_characters(
    tmp_path: Path, keys: Keys, capsys: Any
) -> None:
    cfg = config(tmp_path, keys)
    app = make_app(cfg)
    card = (await post_hook(app, keys, ORDER_SIGN, warfarin_with_k2())).json()["cards"][0]
    comment = "fine\x1b[2J\x1b]0;owned\x07 really"
    assert (
        await _feedback(app, keys, _overridden(card["uuid"], comment=comment))
    ).status_code == 200
    assert _feedback_cli("--database", cfg.database) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "fine" in out
    assert "really" in out


async def test_feedback_for_a_card_never_issued_is_kept_and_listed_as_such(
    tmp_path: Path, keys: Keys, capsys: Any
) -> None:
    cfg = config(tmp_path, keys)
    app = make_app(cfg)
    stranger = "0b6a7d1e-3f0c-4a8e-9b55-3c2f1d0e9a77"
    assert (await _feedback(app, keys, _overridden(stranger))).status_code == 200
    assert _feedback_cli("--database", cfg.database) == 0
    assert "(a card this service did not issue)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"feedback": []}, "feedback"),
        (
            {
                "feedback": [
                    {
                        "card": "x",
                        "outcome": "overridden",
                        "outcomeTimestamp": "2026-11-30T10:15:00Z",
                    }
                ]
            },
            "card",
        ),
        (
            _overridden("0b6a7d1e-3f0c-4a8e-9b55-3c2f1d0e9a77", code="made-up"),
            "not one of the override reasons",
        ),
        (
            {
                "feedback": [
                    {
                        "card": "0b6a7d1e-3f0c-4a8e-9b55-3c2f1d0e9a77",
                        "outcome": "accepted",
                        "outcomeTimestamp": "2026-11-30T10:15:00Z",
                    }
                ]
            },
            "acceptedSuggestions",
        ),
        (
            {
                "feedback": [
                    {
                        "card": "0b6a7d1e-3f0c-4a8e-9b55-3c2f1d0e9a77",
                        "outcome": "ignored",
                        "outcomeTimestamp": "2026-11-30T10:15:00Z",
                    }
                ]
            },
            "outcome",
        ),
        (
            {
                "feedback": [
                    {
                        "card": "0b6a7d1e-3f0c-4a8e-9b55-3c2f1d0e9a77",
                        "outcome": "overridden",
                        "outcomeTimestamp": "2026-13-45T10:15:00Z",
                    }
                ]
            },
            "not a real date",
        ),
        (
            {
                "feedback": [
                    {
                        "card": "0b6a7d1e-3f0c-4a8e-9b55-3c2f1d0e9a77",
                        "outcome": "overridden",
                        "outcomeTimestamp": "yesterday",
                    }
                ]
            },
            "outcomeTimestamp",
        ),
        (
            {
                "feedback": [
                    {
                        "card": "0b6a7d1e-3f0c-4a8e-9b55-3c2f1d0e9a77",
                        "outcome": "overridden",
                        "outcomeTimestamp": "2026-11-30T10:15:00Z",
                        "overrideReason": {"userComment": "x" * 5000},
                    }
                ]
            },
            "userComment",
        ),
        ({"feedback": "all good"}, "feedback"),
    ],
)
async def test_bad_feedback_is_refused_and_not_stored(
    tmp_path: Path, keys: Keys, body: Any, words: str
) -> None:
    cfg = config(tmp_path, keys)
    app = make_app(cfg)
    response = await _feedback(app, keys, body)
    assert response.status_code == 400, response.text
    assert words in outcome(response)
    assert open_store(cfg.database).feedback(outcome=None) == []


async def test_feedback_to_an_unknown_service_is_404(app: Any, keys: Keys) -> None:
    response = await _feedback(
        app, keys, _overridden("0b6a7d1e-3f0c-4a8e-9b55-3c2f1d0e9a77"), "nope"
    )
    assert response.status_code == 404


# --- the store's schema ---------------------------------------------------------------------------


def test_a_new_database_gets_the_current_schema(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "new.sqlite3"))
    assert store.schema_version() == SCHEMA_VERSION
    assert store.migrate() == SCHEMA_VERSION  # nothing left to do
    store.close()


def test_an_older_schema_is_migrated_and_a_newer_one_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for statement in MIGRATIONS[0]["sqlite"]:
        connection.execute(statement)
    connection.execute("INSERT INTO schema_version VALUES (1)")
    connection.execute(
        "INSERT INTO feedback (received_at, service, card_uuid, outcome, outcome_timestamp) "
        "VALUES ('2026-01-01T00:00:00Z', 's', 'u', 'overridden', '2026-01-01T00:00:00Z')"
    )
    connection.commit()
    connection.close()
    store = open_store(str(path))
    assert store.schema_version() == SCHEMA_VERSION
    assert [row.card_uuid for row in store.feedback()] == ["u"]  # the data came along
    store.close()
    indexes = sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='index'")
    assert "feedback_by_outcome" in {name for (name,) in indexes}

    connection = sqlite3.connect(path)
    connection.execute("UPDATE schema_version SET version = 99")
    connection.commit()
    connection.close()
    with pytest.raises(StoreError, match="newer than this k2safety"):
        open_store(str(path))


# --- CORS ----------------------------------------------------------------------------------------

ORIGIN = "https://sandbox.cds-hooks.org"


async def test_cors_preflight_and_headers_on_every_route(app: Any, keys: Keys) -> None:
    async with asgi_client(app) as client:
        preflight = await client.options(
            f"/cds-services/{ORDER_SIGN}",
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        discovery = await client.get("/cds-services", headers=auth(keys) | {"Origin": ORIGIN})
        hook = await client.post(
            f"/cds-services/{ORDER_SIGN}",
            json=warfarin_with_k2(),
            headers=auth(keys, ORDER_SIGN) | {"Origin": ORIGIN},
        )
        refused = await client.post(
            f"/cds-services/{ORDER_SIGN}", json={}, headers={"Origin": ORIGIN}
        )
        feedback = await client.post(
            f"/cds-services/{ORDER_SIGN}/feedback",
            json={"feedback": []},
            headers=auth(keys, ORDER_SIGN, feedback=True) | {"Origin": ORIGIN},
        )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed
    assert "content-type" in allowed
    for response in (preflight, discovery, hook, refused, feedback):
        assert response.headers["access-control-allow-origin"] == "*", response.status_code
    assert "www-authenticate" in refused.headers["access-control-expose-headers"].lower()


async def test_cors_allows_only_the_configured_origins(tmp_path: Path, keys: Keys) -> None:
    app = make_app(config(tmp_path, keys, cors_origins=(ORIGIN,)))
    async with asgi_client(app) as client:
        good = await client.get("/cds-services", headers=auth(keys) | {"Origin": ORIGIN})
        bad = await client.options(
            "/cds-services",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
    assert good.headers["access-control-allow-origin"] == ORIGIN
    assert bad.status_code == 400
    assert "access-control-allow-origin" not in bad.headers


# --- configuration -------------------------------------------------------------------------------


def test_a_config_file_is_read_with_paths_relative_to_it(tmp_path: Path, keys: Keys) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "ehr.json").write_text(json.dumps(keys.file_set()))
    (tmp_path / "service.toml").write_text(
        """
service_url = "https://cds.example.org/k2/"
database = "data/feedback.sqlite3"
max_body_bytes = 65536
cors_origins = ["https://sandbox.cds-hooks.org"]
fhir_servers = ["https://fhir.example.org/r4/"]

[auth]
clock_skew_seconds = 10

[[auth.issuers]]
iss = "https://sandbox.cds-hooks.org"
jku = ["https://sandbox.cds-hooks.org/.well-known/jwks.json"]

[[auth.issuers]]
iss = "https://ehr.example.org"
jwks_file = "keys/ehr.json"
"""
    )
    cfg = load_config(tmp_path / "service.toml")
    assert cfg.service_url == "https://cds.example.org/k2"
    assert cfg.database == str(tmp_path / "data" / "feedback.sqlite3")
    assert cfg.fhir_servers == ("https://fhir.example.org/r4",)
    assert cfg.auth.issuers[1].jwks_file == tmp_path / "keys" / "ehr.json"
    assert cfg.auth.clock_skew_seconds == 10


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("service_url = 'ftp://x'", "service_url"),
        ("service_url = 'http://cds.example.org'", "https"),
        ("max_body_bytes = 10", "max_body_bytes"),
        ("unknown = 1", "unknown"),
        ("[[auth.issuers]]\niss = 'https://a'", "jwks_file or jku"),
        ("[[auth.issuers]]\niss = 'https://a'\njku = ['http://a.example/jwks']", "https"),
        ("[auth]\nclock_skew_seconds = 9999", "clock_skew_seconds"),
        ("min_indicator = 'loud'", "min_indicator"),
        ("this is not toml", "not valid TOML"),
    ],
)
def test_a_bad_config_is_refused_naming_the_setting(tmp_path: Path, text: str, words: str) -> None:
    (tmp_path / "bad.toml").write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path / "bad.toml")
    assert words in str(raised.value)


def test_a_jwks_file_without_usable_keys_is_refused(tmp_path: Path, keys: Keys) -> None:
    secret = {"keys": [{"kty": "oct", "kid": "s", "k": "c2VjcmV0", "alg": "HS256"}]}
    (tmp_path / "ehr-jwks.json").write_text(json.dumps(secret))
    from k2safety.service import AuthConfig, IssuerConfig, ServiceConfig, create_app

    cfg = ServiceConfig(
        database=str(tmp_path / "f.sqlite3"),
        auth=AuthConfig(issuers=(IssuerConfig(iss="x", jwks_file=tmp_path / "ehr-jwks.json"),)),
    )
    with pytest.raises(ConfigError, match="no EC P-384 or RSA"):
        create_app(cfg, reader=lambda data: None)  # type: ignore[arg-type,return-value]


def test_services_and_prefetch_are_what_discovery_says() -> None:
    assert {service.hook for service in SERVICES} == {"order-select", "order-sign", "patient-view"}
    assert set(PREFETCH) == {"medicationRequests", "medicationStatements"}


def test_importing_k2safety_imports_none_of_the_service() -> None:
    probe = (
        "import sys, k2safety; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'starlette', 'uvicorn', 'jwt', 'httpx', 'psycopg', 'cryptography'} "
        "or m.startswith('k2safety.service')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- logs ----------------------------------------------------------------------------------------


async def test_no_token_and_no_patient_data_in_the_logs(
    app: Any, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = sign(keys.ec, claims(endpoint(ORDER_SIGN)))
    body = warfarin_with_k2()
    body["context"]["draftOrders"]["entry"][0]["resource"]["medicationCodeableConcept"]["text"] = (
        "Warfarin SECRET-NAME"
    )
    async with asgi_client(app) as client:
        await client.post(f"/cds-services/{ORDER_SIGN}", json=body, headers=bearer(token))
        await client.post(f"/cds-services/{ORDER_SIGN}", json=body, headers=bearer(token))
        await client.post(f"/cds-services/{ORDER_SIGN}", json=body, headers=bearer(token + "x"))
        body["context"]["draftOrders"]["entry"][0]["resource"]["status"] = 5
        await client.post(f"/cds-services/{ORDER_SIGN}", json=body, headers=auth(keys, ORDER_SIGN))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "refused a call" in logged  # the replay and the bad signature were logged
    for secret in (token, token.split(".")[1], "SECRET-NAME", "Warfarin", "p1"):
        assert secret not in logged


async def test_text_from_the_address_cannot_forge_a_log_line(
    app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with asgi_client(app) as client:
        await client.post("/cds-services/x%0AINFO%20forged", json={})
    (message,) = [r.getMessage() for r in caplog.records if "refused a call" in r.getMessage()]
    assert "\n" not in message
    assert "x?INFO forged" in message


def test_the_module_level_app_is_built_from_the_environment(tmp_path: Path) -> None:
    (tmp_path / "service.toml").write_text(
        'database = "f.sqlite3"\n[auth]\ninsecure_no_auth = true\n'
    )
    probe = (
        "import k2safety.service as service, sys; "
        "print('built' if 'app' not in vars(service) else 'early'); "
        "from k2safety.service import app; print(type(app).__name__, app is service.app)"
    )
    env = {**os.environ, "K2SAFETY_SERVICE_CONFIG": str(tmp_path / "service.toml")}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["built", "Starlette", "True"]
    assert "AUTHENTICATION IS OFF" in result.stderr
    assert (tmp_path / "f.sqlite3").is_file()
