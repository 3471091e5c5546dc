from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/phone/", consumers.ScreenPopConsumer.as_asgi()),
]
