#!/usr/bin/env bash
# Backup of one Herdesk deployment: PostgreSQL (pg_dump custom format, consistent snapshot) and the
# attachments under HERDESK_MEDIA_ROOT. Usage: deploy/backup.sh DEST_DIR   (env: DATABASE_URL,
# HERDESK_MEDIA_ROOT). Keeps 14 days. The encryption keys (HERDESK_FIELD_KEY, HERDESK_BLIND_INDEX_KEY)
# are NOT in the backup: keep them in your secret store; a restore needs the same keys.
# The audit anchor file (HERDESK_AUDIT_ANCHOR_FILE: the signed audit chain heads, SEC-2) IS copied:
# `herdesk audit verify --anchor-file COPY` checks a restored database against it.
set -euo pipefail
dest=${1:?destination directory}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$dest"
pg_dump --format=custom --no-owner --dbname="$DATABASE_URL" --file="$dest/herdesk-$stamp.dump"
tar -C "$(dirname "$HERDESK_MEDIA_ROOT")" -czf "$dest/media-$stamp.tar.gz" "$(basename "$HERDESK_MEDIA_ROOT")"
anchors=${HERDESK_AUDIT_ANCHOR_FILE:-${HERDESK_VAR_DIR:-/var/lib/herdesk}/audit-anchors.log}
if [ -f "$anchors" ]; then cp -p "$anchors" "$dest/audit-anchors-$stamp.log"; fi
pg_restore --list "$dest/herdesk-$stamp.dump" >/dev/null   # the dump is readable
find "$dest" -name 'herdesk-*.dump' -mtime +14 -delete
find "$dest" -name 'media-*.tar.gz' -mtime +14 -delete
find "$dest" -name 'audit-anchors-*.log' -mtime +14 -delete
echo "backup: $dest/herdesk-$stamp.dump $dest/media-$stamp.tar.gz"
