"""WebSocket routes; the chat and CTI channels add theirs here."""

from herdesk.chat.routing import websocket_urlpatterns as chat_routes
from herdesk.notifications.routing import websocket_urlpatterns as notification_routes
from herdesk.phone.routing import websocket_urlpatterns as phone_routes

websocket_urlpatterns: list = [*chat_routes, *phone_routes, *notification_routes]
