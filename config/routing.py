"""WebSocket routes; the chat and CTI channels add theirs here."""

websocket_urlpatterns: list = []
