#!/bin/bash
# Creates keskinube_ro (or $KESKINUBE_RO_USER), the account the app reads the demo database
# with: SELECT on $MYSQL_DATABASE and nothing else, password $KESKINUBE_RO_PASSWORD. The image
# *sources* this file (it is not executable), so docker_process_sql and mysql_error are
# defined; the SQL is readonly_user.sql.in beside it, with the values escaped here.
if [ -z "${KESKINUBE_RO_PASSWORD:-}" ]; then
	mysql_error "KESKINUBE_RO_PASSWORD is not set: cannot create the read-only user keskinube_ro"
fi
if [ -z "${MYSQL_DATABASE:-}" ]; then
	mysql_error "MYSQL_DATABASE is not set: no database to grant keskinube_ro SELECT on"
fi
_kk_literal() { local value=${1//\\/\\\\}; printf '%s' "${value//\'/\'\'}"; }
_kk_sql=$(grep -v '^--' "$(dirname "${BASH_SOURCE[0]}")/readonly_user.sql.in")
_kk_user=${KESKINUBE_RO_USER:-keskinube_ro}
_kk_sql=${_kk_sql//'{{user}}'/"$(_kk_literal "$_kk_user")"}
_kk_sql=${_kk_sql//'{{host}}'/%}
_kk_sql=${_kk_sql//'{{password}}'/"$(_kk_literal "$KESKINUBE_RO_PASSWORD")"}
_kk_sql=${_kk_sql//'{{database}}'/"${MYSQL_DATABASE//\`/\`\`}"}
docker_process_sql --database=mysql <<<"$_kk_sql"
unset -f _kk_literal
unset _kk_sql _kk_user
