"""Schemathesis hooks for the contacts API (loaded by scripts/schemathesis.sh).

`format: phone` in openapi.json means "valid for its country by libphonenumber's metadata", which
no pattern can say: this gives Schemathesis numbers that are, written the ways the contract
accepts, so its positive checks test the service and not libphonenumber's tables.
"""
import json
import re
import uuid

import schemathesis
from hypothesis import strategies as st

# Valid under libphonenumber 8.12.57 (Debian's), one per common country plan.
NUMBERS = [
    "+14155550123", "+12125550199", "+33612345678", "+447911123456", "+4915123456789",
    "+34612345678", "+390612345678", "+61412345678", "+819012345678", "+5511912345678",
]


def written(number: str, separator: str, padding: str) -> str:
    digits = number[1:]
    grouped = separator.join(digits[i:i + 3] for i in range(0, len(digits), 3)) if separator else digits
    return f"{padding}+{grouped}{padding}"


schemathesis.openapi.format(
    "phone",
    st.builds(written, st.sampled_from(NUMBERS), st.sampled_from(["", " ", ".", "-"]), st.sampled_from(["", " "])),
)


# Webhook URLs (`format: uri` on POST /api/v1/webhooks): whether a host may be registered depends
# on what it resolves to, which no schema says; these resolve to loopback, which the Schemathesis
# instance allows (scripts/schemathesis.sh).
schemathesis.openapi.format(
    "uri",
    st.builds(lambda scheme, port, path: f"{scheme}://127.0.0.1:{port}/{path}", st.sampled_from(["http", "https"]),
              st.integers(min_value=1, max_value=65535), st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_/", max_size=40)),
)


@schemathesis.deserializer("application/x-ndjson")
def ndjson(ctx, response):
    """The export's NDJSON: one JSON value a line, read as the array the document describes."""
    return [json.loads(line) for line in response.content.splitlines() if line.strip()]


@schemathesis.hook("map_body")
def rename_an_existing_tag(ctx, body):
    """rename-tag on a tag that exists (scripts/schemathesis.sh tags a contact `vip`),
    renamed to itself so that it stays for the next call: a generated name is almost never a tag,
    which would leave only 404s and nothing of the route tested."""
    if ctx.operation.path == "/api/v1/actions/rename-tag" and isinstance(body, dict) and isinstance(body.get("from"), str):
        body["from"] = "vip"
        body["to"] = "vip"
    return body


@schemathesis.hook("map_body")
def update_an_existing_contact(ctx, body):
    """update-contact by a phone that exists (scripts/schemathesis.sh creates one contact per
    number above): a generated id is never a contact's, which would leave only 404s. Finding a
    contact by id is AddressingTests's. Only a valid id is replaced: an invalid one is what a
    negative test sends, and must stay to be refused; so must a phone sent beside the id (a
    negative test's phone may be the invalid part: replacing it made the case valid, a finding)."""
    if (ctx.operation.path == "/api/v1/actions/update-contact" and isinstance(body, dict)
            and isinstance(body.get("id"), str) and ULID.match(body["id"])):
        del body["id"]
        body.setdefault("phone", NUMBERS[0])
    return body


ULID = re.compile(r"^[0-7][0-9A-TV-Za-tv-z]{25}$")  # the document's ContactId


# The document's Idempotency-Key (components.parameters.IdempotencyKey): its pattern, both forms.
IDEMPOTENCY_KEY = re.compile(r'^(?:[!#-~][!-~]{0,254}|"(?:[!#-\[\]-~]|\\["\\]){1,255}")$')


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    """A fresh Idempotency-Key on every call that sends a valid one. Schemathesis sends the same
    generated key (the document's example, or a coverage value) with many different bodies, and the
    same key with another body is rightly a 422 `idempotency_key_reused` (API.md), which its
    positive-data check counts as a finding. The key stays in the form it was generated in; an
    invalid key is what a negative test sends, and must stay to be refused. A negative case is left
    alone whole: Schemathesis revalidates a case whose headers a hook edited, and a case whose
    negative part is a missing Authorization then counts as positive and is sent with it (ST203).
    Replays are IdempotencyTests's."""
    headers = case.headers
    if not headers or (case.meta is not None and case.meta.generation.mode.is_negative):
        return
    for name, value in list(headers.items()):
        if name.lower() == "idempotency-key" and isinstance(value, str) and IDEMPOTENCY_KEY.match(value):
            fresh = f"st-{uuid.uuid4().hex}"
            headers[name] = f'"{fresh}"' if value.startswith('"') else fresh
