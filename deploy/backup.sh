#!/usr/bin/env bash
# tgshop: one compressed dump of the shop's database, and old dumps pruned.
#
#   MONGO_URI=mongodb://... deploy/backup.sh          (tgshop-backup.service runs it daily)
#
# Writes $BACKUP_DIR/tgshop-<UTC time>.archive.gz (mongodump --archive --gzip of the database
# named in MONGO_URI) and deletes dumps older than $BACKUP_KEEP_DAYS days. A dump is written
# under a temporary name and renamed when complete, so a listed dump is a whole one.
# Restore (docs/deploy-gcp.md): mongorestore --uri="$MONGO_URI" --archive=FILE --gzip --drop
set -euo pipefail

: "${MONGO_URI:?MONGO_URI is not set (it comes from /etc/tgshop/tgshop.env)}"
dir=${BACKUP_DIR:-/var/backups/tgshop}
keep=${BACKUP_KEEP_DAYS:-14}
if ! command -v mongodump >/dev/null; then
    echo "backup.sh: mongodump not found (apt-get install mongodb-database-tools)" >&2
    exit 1
fi

mkdir -p "$dir"
name="tgshop-$(date -u +%Y%m%dT%H%M%SZ).archive.gz"
partial="$dir/.$name.partial"
trap 'rm -f "$partial"' EXIT
mongodump --uri="$MONGO_URI" --archive="$partial" --gzip --quiet
mv "$partial" "$dir/$name"
find "$dir" -maxdepth 1 -name 'tgshop-*.archive.gz' -mtime +"$keep" -delete
kept=$(find "$dir" -maxdepth 1 -name 'tgshop-*.archive.gz' | wc -l)
echo "backup.sh: $dir/$name ($(du -h "$dir/$name" | cut -f1)); $kept dumps kept"
