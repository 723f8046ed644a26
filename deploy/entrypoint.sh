#!/bin/sh
# Migrate the database first only when asked (DUNOPS_MIGRATE=true: one process per release, never every
# replica at once), then become the command: `dunops serve` or `dunops worker`.
set -eu
if [ "${DUNOPS_MIGRATE:-false}" = "true" ]; then
  dunops db upgrade
fi
exec "$@"
