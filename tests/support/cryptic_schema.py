"""A small legacy-style schema with cryptic names, invented for the knowledge tests.

Abbreviated upper-case names and coded values (`CUST_MST.STS_CD`), no comments: what a
company database nobody here designed looks like. `build_cryptic_database` writes it to a
SQLite file (or any SQLAlchemy URL) with a few rows; `KNOWLEDGE_YAML` is what an admin
could write about it.
"""

from __future__ import annotations

import sqlalchemy as sa

DDL = (
    """CREATE TABLE CUST_MST (
        CUST_ID INTEGER PRIMARY KEY,
        CUST_NM VARCHAR(80) NOT NULL,
        STS_CD CHAR(1) NOT NULL,
        CTRY_CD CHAR(2),
        CRDT_LMT DECIMAL(12,2)
    )""",
    """CREATE TABLE ITM_MST (
        ITM_CD VARCHAR(12) PRIMARY KEY,
        ITM_DSC VARCHAR(120) NOT NULL,
        CAT_CD VARCHAR(4)
    )""",
    """CREATE TABLE ORD_HDR (
        ORD_NO INTEGER PRIMARY KEY,
        CUST_ID INTEGER NOT NULL REFERENCES CUST_MST(CUST_ID),
        ORD_DT DATE NOT NULL,
        STS_CD CHAR(1) NOT NULL
    )""",
    """CREATE TABLE ORD_LN (
        ORD_NO INTEGER NOT NULL REFERENCES ORD_HDR(ORD_NO),
        LN_NO INTEGER NOT NULL,
        ITM_CD VARCHAR(12) NOT NULL REFERENCES ITM_MST(ITM_CD),
        QTY INTEGER NOT NULL,
        UNT_PRC DECIMAL(10,2) NOT NULL,
        PRIMARY KEY (ORD_NO, LN_NO)
    )""",
    """CREATE TABLE WHS_LOC (
        WHS_CD CHAR(3) PRIMARY KEY,
        WHS_NM VARCHAR(40) NOT NULL,
        RGN_CD CHAR(2)
    )""",
)
ROWS = (
    "INSERT INTO CUST_MST VALUES (1,'Acme','A','ES',5000),(2,'Borel','A','FR',0),"
    "(3,'Corvo','S','ES',100),(4,'Dalt','A','PT',800)",
    "INSERT INTO ITM_MST VALUES ('BX-1','Box','PKG'),('TP-2','Tape','PKG'),('LB-3','Label','PRT')",
    "INSERT INTO ORD_HDR VALUES (10,1,'2025-01-03','C'),(11,2,'2025-02-11','O'),"
    "(12,1,'2025-02-20','C'),(13,4,'2025-03-01','X')",
    "INSERT INTO ORD_LN VALUES (10,1,'BX-1',3,2.5),(10,2,'TP-2',1,1.2),(11,1,'LB-3',10,0.3),"
    "(12,1,'BX-1',5,2.5),(13,1,'TP-2',2,1.2)",
    "INSERT INTO WHS_LOC VALUES ('MAD','Madrid Norte','CE'),('BCN','Zona Franca','NE')",
)

# More of the same company, for tests that need tables to choose between (retrieval).
MORE_DDL = (
    "CREATE TABLE VND_MST (VND_ID INTEGER PRIMARY KEY, VND_NM VARCHAR(80) NOT NULL, "
    "PYMT_TRM_CD VARCHAR(8))",
    "CREATE TABLE EMP_MST (EMP_ID INTEGER PRIMARY KEY, EMP_NM VARCHAR(80) NOT NULL, "
    "DEPT_CD VARCHAR(8), HR_DT DATE)",
    "CREATE TABLE SHP_TRK (SHP_ID INTEGER PRIMARY KEY, ORD_NO INTEGER NOT NULL REFERENCES "
    "ORD_HDR(ORD_NO), CRR_CD VARCHAR(8), SHP_DT DATE, DLV_DT DATE)",
    "CREATE TABLE RTN_HDR (RTN_ID INTEGER PRIMARY KEY, ORD_NO INTEGER NOT NULL REFERENCES "
    "ORD_HDR(ORD_NO), RSN_CD VARCHAR(12), RFND_AMT DECIMAL(10,2))",
    "CREATE TABLE INV_BAL (ITM_CD VARCHAR(12) NOT NULL REFERENCES ITM_MST(ITM_CD), "
    "WHS_CD CHAR(3) NOT NULL REFERENCES WHS_LOC(WHS_CD), QOH INTEGER NOT NULL, "
    "PRIMARY KEY (ITM_CD, WHS_CD))",
    "CREATE TABLE FX_RT (CCY_CD CHAR(3) NOT NULL, RT_DT DATE NOT NULL, RT DECIMAL(12,6), "
    "PRIMARY KEY (CCY_CD, RT_DT))",
)
MORE_ROWS = (
    "INSERT INTO VND_MST VALUES (1,'Papelera Sur','NET30'),(2,'Cintas SA','NET60'),"
    "(3,'Etiq Plus','NET30')",
    "INSERT INTO EMP_MST VALUES (1,'Ana Ruiz','SALES','2024-03-01'),(2,'Leo Gil','WHSE',"
    "'2025-01-15'),(3,'Eva Sanz','SALES','2025-06-01'),(4,'Ivo Mata','FIN','2023-09-10')",
    "INSERT INTO SHP_TRK VALUES (1,10,'SEUR','2025-01-04','2025-01-07'),(2,11,'DHL',"
    "'2025-02-12','2025-02-20'),(3,12,'SEUR','2025-02-21','2025-02-24')",
    "INSERT INTO RTN_HDR VALUES (1,10,'DAMAGED',2.5),(2,12,'WRONG_ITEM',12.5),(3,11,'DAMAGED',3)",
    "INSERT INTO INV_BAL VALUES ('BX-1','MAD',120),('TP-2','MAD',40),('BX-1','BCN',15)",
    "INSERT INTO FX_RT VALUES ('USD','2025-01-01',1.04),('GBP','2025-01-01',0.83),"
    "('USD','2025-02-01',1.03)",
)

KNOWLEDGE_YAML = """\
database: cryptic
tables:
  CUST_MST:
    description: Customers, one row per account.
    synonyms: {en: [customer, client, account], es: [cliente, clientes]}
    columns:
      STS_CD:
        description: "Account status: A active, S suspended."
        synonyms: {en: [status], es: [estado]}
      CRDT_LMT: {description: Credit limit in euros., synonyms: {en: [credit line], es: [crédito]}}
  ORD_HDR:
    description: Sales orders, one row per order.
    synonyms: {en: [order, purchase], es: [pedido, compra]}
terms:
  revenue: Sum of ORD_LN.QTY * ORD_LN.UNT_PRC over orders with STS_CD 'C' (closed).
notes:
  order statuses: ORD_HDR.STS_CD is O open, C closed, X cancelled.
"""


def build_cryptic_database(url: str, *, more: bool = False) -> None:
    """Create the tables and rows at `url` (an empty database); `more`: eleven tables."""
    statements = (*DDL, *ROWS, *MORE_DDL, *MORE_ROWS) if more else (*DDL, *ROWS)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()
