"""SEC-1: API tokens with scopes, expiry and last use, listable and revocable by their owner and by
administrators (API and `herdesk token`); per-token and per-IP rate limits (429 + Retry-After).
Issue #14: a customer's token cannot set the service centre's fields of a ticket."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from herdesk.staff.models import ApiToken, User
from herdesk.staff.services import token_create
from herdesk.tickets.models import Ticket


def _client(secret: str, **extra) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_ACCEPT_LANGUAGE="en", **extra)


def _post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


def _ticket(customer, **over):
    return {"customer_id": customer.pk, "problem_type": "product_inquiry", "subject": "酸奶保质期", **over}


@pytest.mark.parametrize("field", ["received_at", "channel", "priority", "complexity", "complaint_severity"])
def test_a_customer_cannot_set_staff_fields(api, customer, field) -> None:
    from herdesk.staff.services import user_create

    user_create(username="portal-a", password=None, role="customer", customer=customer)
    c = api("portal-a")
    value = {
        "received_at": (timezone.now() - timedelta(days=2)).isoformat(),
        "channel": "email",
        "priority": "urgent",
        "complexity": "simple",
        "complaint_severity": "major",
    }[field]
    r = _post(c, "/api/v1/tickets", _ticket(customer, **{field: value}))
    assert r.status_code == 422, r.content
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert Ticket.objects.count() == 0
    # without them the customer's ticket is received now, on the portal, unclassified
    r = _post(c, "/api/v1/tickets", _ticket(customer))
    assert r.status_code == 201, r.content
    t = r.json()
    assert (t["channel"], t["priority"], t["complexity"]) == ("portal", "normal", "general")


def test_staff_must_name_the_channel(api, customer) -> None:
    r = _post(api(), "/api/v1/tickets", _ticket(customer))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "channel"


def test_scopes_read_write(staff, customer) -> None:
    agent = User.objects.get(username="agent1")
    _t, read_only = token_create(user=agent, scopes=["read"])
    c = _client(read_only)
    assert c.get("/api/v1/tickets").status_code == 200
    r = _post(c, "/api/v1/tickets", _ticket(customer, channel="email"))
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    _t, write_only = token_create(user=agent, scopes=["write"])
    assert _client(write_only).get("/api/v1/tickets").status_code == 403
    assert (
        _post(_client(write_only), "/api/v1/tickets", _ticket(customer, channel="email")).status_code == 201
    )


def test_admin_scope_only_for_administrators(staff) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        token_create(user=User.objects.get(username="agent1"), scopes=["read", "admin"])
    token, _s = token_create(user=User.objects.get(username="admin"), scopes=["read", "write", "admin"])
    assert token.scope_list == ["read", "write", "admin"]


def test_expired_and_revoked_tokens_are_401(staff) -> None:
    agent = User.objects.get(username="agent1")
    token, secret = token_create(user=agent, expires_at=timezone.now() + timedelta(minutes=1))
    assert _client(secret).get("/api/v1/tickets").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    r = _client(secret).get("/api/v1/tickets")
    assert r.status_code == 401 and r.json()["code"] == "unauthenticated"


def test_owner_lists_creates_and_revokes_own_tokens(staff) -> None:
    agent = User.objects.get(username="agent1")
    _t, secret = token_create(user=agent, name="crm")
    c = _client(secret)
    r = _post(c, "/api/v1/tokens", {"name": "报表", "scopes": ["read"], "expires_in_days": 30})
    assert r.status_code == 201, r.content
    new = r.json()
    assert new["secret"].startswith("hdk_") and new["scopes"] == ["read"]
    assert (
        timedelta(days=29)
        < (timezone.datetime.fromisoformat(new["expires_at"]) - timezone.now())
        <= timedelta(days=30)
    )
    listed = c.get("/api/v1/tokens").json()
    assert {t["name"] for t in listed} == {"crm", "报表"} and all("secret" not in t for t in listed)
    crm = next(t for t in listed if t["name"] == "crm")
    assert crm["last_used_at"] is not None  # this very request used it
    r = c.delete(f"/api/v1/tokens/{new['id']}")
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert _client(new["secret"]).get("/api/v1/tickets").status_code == 401
    # not someone else's: 404; not everyone's list: 403; no scope beyond its own
    other, _s = token_create(user=User.objects.get(username="agent2"))
    assert c.delete(f"/api/v1/tokens/{other.pk}").status_code == 404
    assert c.get("/api/v1/tokens?all_users=true").status_code == 403
    assert _post(c, "/api/v1/tokens", {"scopes": ["admin"]}).status_code == 422
    assert _post(c, "/api/v1/tokens", {"username": "agent2"}).status_code == 403
    assert c.delete(f"/api/v1/tokens/{2**64}").status_code in (404, 422)


def test_administrator_lists_and_revokes_everyones_tokens(staff) -> None:
    victim, victim_secret = token_create(user=User.objects.get(username="agent2"), name="lost laptop")
    _t, admin_secret = token_create(
        user=User.objects.get(username="admin"), scopes=["read", "write", "admin"]
    )
    c = _client(admin_secret)
    names = {t["name"] for t in c.get("/api/v1/tokens?all_users=true").json()}
    assert "lost laptop" in names
    assert c.delete(f"/api/v1/tokens/{victim.pk}").status_code == 200
    assert _client(victim_secret).get("/api/v1/tickets").status_code == 401
    r = _post(c, "/api/v1/tokens", {"username": "agent1", "scopes": ["read"], "name": "for agent1"})
    assert r.status_code == 201 and r.json()["username"] == "agent1"
    # the same administrator without the admin scope: only their own
    _t, plain = token_create(user=User.objects.get(username="admin"))
    assert _client(plain).get("/api/v1/tokens?all_users=true").status_code == 403


def test_token_command_lists_and_revokes(staff, capsys) -> None:
    capsys.readouterr()
    call_command(
        "token", "create", "--user", "agent1", "--name", "erp", "--scopes", "read", "--expires-days", "7"
    )
    secret = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(name="erp")
    assert token.scope_list == ["read"] and token.expires_at is not None and secret.startswith("hdk_")
    call_command("token", "list", "--user", "agent1")
    out = capsys.readouterr().out
    assert token.prefix in out and "read" in out
    call_command("token", "revoke", token.prefix)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert _client(secret).get("/api/v1/tickets").status_code == 401


@override_settings(HERDESK_API_RATE_PER_TOKEN=3, HERDESK_API_RATE_PER_IP=1000)
def test_per_token_rate_limit_is_429_with_retry_after(staff) -> None:
    cache.clear()
    _t, secret = token_create(user=User.objects.get(username="agent1"))
    c = _client(secret)
    assert [c.get("/api/v1/tickets").status_code for _ in range(3)] == [200, 200, 200]
    r = c.get("/api/v1/tickets")
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    assert 1 <= int(r["Retry-After"]) <= 60
    _t, other = token_create(user=User.objects.get(username="agent1"))
    assert _client(other).get("/api/v1/tickets").status_code == 200  # per token, not per user


@override_settings(HERDESK_API_RATE_PER_TOKEN=1000, HERDESK_API_RATE_PER_IP=3)
def test_per_ip_rate_limit_counts_bad_tokens_too(staff) -> None:
    cache.clear()
    guesses = [_client("hdk_guess").get("/api/v1/tickets").status_code for _ in range(3)]
    assert guesses == [401, 401, 401]
    _t, secret = token_create(user=User.objects.get(username="agent1"))
    r = _client(secret).get("/api/v1/tickets")
    assert r.status_code == 429 and int(r["Retry-After"]) >= 1
    assert _client(secret, REMOTE_ADDR="10.0.0.9").get("/api/v1/tickets").status_code == 200
    cache.clear()


def test_token_lookup_sql_is_its_orm_spelling(staff) -> None:
    """token_for_secret reads the token in plain SQL (issue 20); it must find exactly what the ORM
    query finds — live, expired, revoked, unknown — with the user and the user's team (or none)."""
    from herdesk.staff.selectors import _live_token, _live_token_queryset
    from herdesk.staff.services import token_digest

    now = timezone.now()
    agent, admin = User.objects.get(username="agent1"), User.objects.get(username="admin")
    _live, s1 = token_create(user=agent, expires_at=now + timedelta(days=1))
    _forever, s2 = token_create(user=admin)
    expired, s3 = token_create(user=agent, expires_at=now + timedelta(minutes=1))
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=now - timedelta(seconds=1))
    revoked, s4 = token_create(user=agent)
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=now)
    for secret in (s1, s2, s3, s4, "no-such-secret"):
        digest = token_digest(secret)
        raw, orm = _live_token(digest, now), _live_token_queryset(digest, now).first()
        assert raw == orm
        if orm is not None:
            assert (raw.user, raw.user.team, raw.scopes, raw.expires_at) == (
                orm.user,
                orm.user.team,
                orm.scopes,
                orm.expires_at,
            )
            assert raw.user.get_session_auth_hash() == orm.user.get_session_auth_hash()
