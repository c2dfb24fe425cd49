#!/bin/bash
# Creates the app database (users, chat history, dashboards) and its own account, which
# may write there and nowhere else. Run once by the mysql image on first start.
set -euo pipefail
# Escape backslashes and quotes so the password stays one SQL string literal.
password=${KESKINUBE_APP_DB_PASSWORD//\\/\\\\}
password=${password//\'/\'\'}
mysql -uroot -p"${MYSQL_ROOT_PASSWORD}" <<SQL
CREATE DATABASE IF NOT EXISTS keskinube_app CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS 'keskinube_app'@'%' IDENTIFIED BY '${password}';
GRANT ALL PRIVILEGES ON keskinube_app.* TO 'keskinube_app'@'%';
SQL
