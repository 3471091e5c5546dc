"""Shared real-time infrastructure below the channels (docs/architecture/overview.md): publishing
events to channel-layer groups after commit (`publish`), the JSON WebSocket consumer base every
socket uses (`sockets`) and the embedded channel layer (`layers`). Knows no channel; not an app
(no models)."""
