import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

from herdesk.ops.wsgi import application as _herdesk_wsgi

# The token API takes a shorter middleware stack than the pages (herdesk/ops/wsgi.py, ADR 0006).
application = _herdesk_wsgi()
