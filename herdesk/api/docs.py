"""/api/docs from our own static files: no CDN, so the docs work offline (issue #21)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger


class OfflineSwagger(Swagger):
    """Swagger UI rendered from herdesk/api/templates/api/swagger.html with the vendored bundle
    (herdesk/api/static/api/swagger-ui/), whether or not `ninja` is an installed app (django-ninja
    falls back to a CDN page otherwise). No validator badge: it would call validator.swagger.io."""

    template = "api/swagger.html"

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        super().__init__({"validatorUrl": None, "persistAuthorization": True, **(settings or {})})

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {"swagger_settings": json.dumps(self.settings), "api": api, "add_csrf": False}
        return render(request, self.template, context)
