"""The embedded default used by `make run`: SQLite under var/, every secret generated once under
var/keys/ (mode 0600) — none is written in the source."""

from .base import *  # noqa: F403
from .base import (
    HERDESK_AUDIT_KEY,
    HERDESK_BLIND_INDEX_KEY,
    HERDESK_CTI_HMAC_SECRET,
    HERDESK_FIELD_KEY,
    HERDESK_SOCIAL_WEBHOOK_SECRET,
    HERDESK_WECHAT_APPSECRET,
    HERDESK_WECHAT_ENCODING_AES_KEY,
    HERDESK_WECHAT_TOKEN,
    SECRET_KEY,
    _local_secret,
    env,
)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
if SECRET_KEY == "insecure-dev-only-key-change-me":
    SECRET_KEY = _local_secret("django_secret", 48)
HERDESK_FIELD_KEY = HERDESK_FIELD_KEY or _local_secret("field_key")
HERDESK_BLIND_INDEX_KEY = HERDESK_BLIND_INDEX_KEY or _local_secret("blind_index_key")
HERDESK_AUDIT_KEY = HERDESK_AUDIT_KEY or _local_secret("audit_key")
# The channels' webhook secrets: random per installation (a CTI or gateway under test is given these).
HERDESK_CTI_HMAC_SECRET = HERDESK_CTI_HMAC_SECRET or _local_secret("cti_hmac_secret")
HERDESK_SOCIAL_WEBHOOK_SECRET = HERDESK_SOCIAL_WEBHOOK_SECRET or _local_secret("social_webhook_secret")
HERDESK_WECHAT_TOKEN = HERDESK_WECHAT_TOKEN or _local_secret("wechat_token", 16, "hex")
HERDESK_WECHAT_ENCODING_AES_KEY = HERDESK_WECHAT_ENCODING_AES_KEY or _local_secret(
    "wechat_encoding_aes_key", 32, "base64-43"
)
HERDESK_WECHAT_APPSECRET = HERDESK_WECHAT_APPSECRET or _local_secret("wechat_appsecret", 16, "hex")
