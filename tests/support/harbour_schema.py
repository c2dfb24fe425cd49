"""An invented schema where the user's word names the wrong table.

"Which clients live in Spain?": the user's "clients" is a word of the TLS-certificate
table, while the table the user means is called `customers`. Retrieval tests use it to
show that a signal (the question names, the approved examples) leads the search to the
right table, and that without it the look-alike wins.
"""

from __future__ import annotations

SCHEMA = [
    "CREATE TABLE customers (id INT PRIMARY KEY, full_name VARCHAR(40), country VARCHAR(20))",
    "CREATE TABLE client_certificates (id INT PRIMARY KEY, client_cn VARCHAR(60), "
    "issued_to_clients VARCHAR(60), expires DATE)",
    "CREATE TABLE vessels (id INT PRIMARY KEY, vessel_name VARCHAR(40), tonnage INT)",
    "CREATE TABLE berths (id INT PRIMARY KEY, vessel_id INT, quay VARCHAR(10), "
    "FOREIGN KEY (vessel_id) REFERENCES vessels (id))",
    "CREATE TABLE staff_rota (id INT PRIMARY KEY, shift_day DATE, crew INT)",
    "INSERT INTO customers VALUES (1, 'Ada', 'Spain'), (2, 'Bo', 'Peru'), (3, 'Cy', 'Spain')",
]
QUESTION = "Which clients live in Spain?"
SQL = "SELECT full_name FROM customers WHERE country = 'Spain' ORDER BY full_name"
