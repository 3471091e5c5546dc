"""The agent console page and the widget embed."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.test import Client


def test_console_is_for_agents_only(staff, customer, django_user_model):
    c = Client()
    assert c.get("/chat/console/").status_code == 302  # sign in first
    c.force_login(staff["agent1"])
    r = c.get("/chat/console/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="chat-console"' in html and "chat/console.js" in html and 'id="chat-strings"' in html
    portal = django_user_model.objects.create_user(username="p1", password="x" * 10, customer=customer)
    c.force_login(portal)
    assert c.get("/chat/console/").status_code == 403


def test_widget_demo_embeds_one_script_tag(db):
    r = Client().get("/chat/widget-demo/")
    assert r.status_code == 200 and r.content.decode().count("chat/widget.js") == 2  # the snippet and the tag


def test_static_scripts_exist():
    for name in ("chat/widget.js", "chat/console.js", "chat/console.css", "phone/screenpop.js"):
        assert finders.find(name), name
