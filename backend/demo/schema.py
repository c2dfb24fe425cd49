"""The demo business database: a European sales company's tables as SQLAlchemy Core metadata.

Every table and almost every column carries a comment, because the comments are what the
LLM reads to understand the data. Types are chosen to work the same on MySQL/MariaDB and
SQLite: `Numeric(12, 2)` for money, `Date`/`DateTime`, `String` with lengths, `Boolean`.
`DEMO_TABLES` lists the tables parents first, which is also the order they are loaded in.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

# Named constraints and indexes: the same names on every database, and the loader can add
# them after the bulk insert.
metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Any: unpacked into sa.Table(**kw), whose typed keywords a dict[str, str] cannot all match.
_MYSQL: dict[str, Any] = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}


def _money(name: str, comment: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.Numeric(12, 2), nullable=nullable, comment=comment)


def _fk(name: str, target: str, comment: str, *, nullable: bool = False) -> sa.Column[object]:
    """A foreign-key column, indexed (SQLite does not index foreign keys by itself)."""
    return sa.Column(
        name, sa.Integer, sa.ForeignKey(target), nullable=nullable, index=True, comment=comment
    )


regions = sa.Table(
    "regions",
    metadata,
    sa.Column("region_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column(
        "name",
        sa.String(60),
        nullable=False,
        unique=True,
        comment="Sales region, e.g. 'Iberia', 'UK & Ireland', 'DACH'",
    ),
    sa.Column(
        "code",
        sa.String(8),
        nullable=False,
        unique=True,
        comment="Short region code, e.g. 'IBE', 'UKI'",
    ),
    comment="Sales regions of the company; every office and customer belongs to one.",
    **_MYSQL,
)

offices = sa.Table(
    "offices",
    metadata,
    sa.Column("office_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(80), nullable=False, comment="Office name, e.g. 'Madrid HQ'"),
    sa.Column("city", sa.String(60), nullable=False, comment="City the office is in"),
    sa.Column("country", sa.String(60), nullable=False, comment="Country the office is in"),
    _fk("region_id", "regions.region_id", "Region the office serves"),
    sa.Column("opened_on", sa.Date, nullable=False, comment="Date the office opened"),
    comment="Company offices; employees work from one office.",
    **_MYSQL,
)

employees = sa.Table(
    "employees",
    metadata,
    sa.Column("employee_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("first_name", sa.String(60), nullable=False, comment="Employee's first name"),
    sa.Column("last_name", sa.String(60), nullable=False, comment="Employee's last name"),
    sa.Column("email", sa.String(120), nullable=False, unique=True, comment="Work email"),
    sa.Column(
        "title",
        sa.String(60),
        nullable=False,
        comment="Job title, e.g. 'Account Executive', 'Sales Manager', 'CEO'",
    ),
    sa.Column(
        "department",
        sa.String(40),
        nullable=False,
        comment="One of 'Executive', 'Sales', 'Operations', 'Finance', 'Customer Success'",
    ),
    _fk("office_id", "offices.office_id", "Office the employee works from"),
    _fk(
        "manager_id",
        "employees.employee_id",
        "The employee's manager (employees.employee_id); NULL for the CEO",
        nullable=True,
    ),
    sa.Column("hire_date", sa.Date, nullable=False, comment="Date the employee joined"),
    sa.Column(
        "left_on",
        sa.Date,
        nullable=True,
        comment="Date the employee left the company; NULL while employed",
    ),
    _money("salary", "Gross annual salary in euros (confidential)"),
    sa.Column(
        "commission_rate",
        sa.Numeric(4, 3),
        nullable=True,
        comment="Sales commission as a fraction of revenue (0.030 = 3 percent); NULL for "
        "staff outside sales",
    ),
    comment="Company staff, including the sales representatives who handle orders and "
    "manage customer accounts.",
    **_MYSQL,
)

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("customer_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column(
        "customer_name",
        sa.String(120),
        nullable=False,
        comment="Company name for business customers; the person's full name for consumers",
    ),
    sa.Column(
        "segment",
        sa.String(20),
        nullable=False,
        comment="Customer segment: 'Enterprise', 'SMB' (small and medium business) or 'Consumer'",
    ),
    sa.Column(
        "contact_first_name",
        sa.String(60),
        nullable=False,
        comment="First name of the contact person",
    ),
    sa.Column(
        "contact_last_name",
        sa.String(60),
        nullable=False,
        comment="Last name of the contact person",
    ),
    sa.Column("email", sa.String(120), nullable=True, comment="Contact email; NULL if unknown"),
    sa.Column("phone", sa.String(30), nullable=True, comment="Contact phone; NULL if unknown"),
    sa.Column("city", sa.String(60), nullable=False, comment="Customer's city"),
    sa.Column(
        "country",
        sa.String(60),
        nullable=False,
        comment="Customer's country, in English, e.g. 'Spain', 'Germany'",
    ),
    _fk("region_id", "regions.region_id", "Sales region the customer belongs to"),
    _fk(
        "account_manager_id",
        "employees.employee_id",
        "Sales rep (employees.employee_id) who manages the account; NULL for most consumers",
        nullable=True,
    ),
    sa.Column(
        "created_at", sa.DateTime, nullable=False, comment="When the customer account was created"
    ),
    comment="Customers who buy from the company: businesses (Enterprise, SMB) and consumers.",
    **_MYSQL,
)

product_categories = sa.Table(
    "product_categories",
    metadata,
    sa.Column("category_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column(
        "name",
        sa.String(60),
        nullable=False,
        unique=True,
        comment="Category name, e.g. 'Laptops', 'Monitors', 'Office Furniture'",
    ),
    sa.Column("description", sa.String(255), nullable=False, comment="What the category contains"),
    comment="Product categories of the catalogue.",
    **_MYSQL,
)

suppliers = sa.Table(
    "suppliers",
    metadata,
    sa.Column("supplier_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(120), nullable=False, unique=True, comment="Supplier company"),
    sa.Column("country", sa.String(60), nullable=False, comment="Supplier's country"),
    sa.Column(
        "contact_email",
        sa.String(120),
        nullable=True,
        comment="Purchasing contact; NULL if unknown",
    ),
    sa.Column(
        "lead_time_days",
        sa.Integer,
        nullable=False,
        comment="Usual days between purchase order and delivery to our warehouse",
    ),
    comment="Manufacturers and distributors the company buys its products from.",
    **_MYSQL,
)

products = sa.Table(
    "products",
    metadata,
    sa.Column("product_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("sku", sa.String(20), nullable=False, unique=True, comment="Stock keeping unit"),
    sa.Column("name", sa.String(120), nullable=False, comment="Product name"),
    _fk("category_id", "product_categories.category_id", "Category of the product"),
    _fk("supplier_id", "suppliers.supplier_id", "Supplier the product is bought from"),
    _money("unit_price", "Current list price per unit in euros, excluding VAT"),
    _money("unit_cost", "Current purchase cost per unit in euros"),
    sa.Column("launched_on", sa.Date, nullable=False, comment="Date the product went on sale"),
    sa.Column(
        "discontinued",
        sa.Boolean,
        nullable=False,
        comment="True when the product is no longer sold",
    ),
    sa.Column(
        "discontinued_on",
        sa.Date,
        nullable=True,
        comment="Date sales stopped; NULL while the product is sold",
    ),
    comment="The product catalogue. Prices here are current list prices; the price actually "
    "charged is order_items.unit_price.",
    **_MYSQL,
)

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("order_id", sa.Integer, primary_key=True, autoincrement=False),
    _fk("customer_id", "customers.customer_id", "Customer who placed the order"),
    _fk(
        "employee_id",
        "employees.employee_id",
        "Sales rep credited with the order; NULL for online and marketplace orders",
        nullable=True,
    ),
    sa.Column(
        "order_date", sa.Date, nullable=False, index=True, comment="Date the order was placed"
    ),
    sa.Column(
        "status",
        sa.String(20),
        nullable=False,
        comment="'pending' (awaiting payment or approval), 'processing' (being prepared),"
        " 'shipped' (in transit), 'delivered', or 'cancelled'",
    ),
    sa.Column(
        "channel",
        sa.String(20),
        nullable=False,
        comment="Sales channel: 'online', 'phone', 'field_sales' or 'marketplace'",
    ),
    sa.Column(
        "discount_code",
        sa.String(20),
        nullable=True,
        comment="Promotion code used; NULL when none. The discount itself is in "
        "order_items.discount",
    ),
    _money("shipping_cost", "Shipping charged to the customer in euros (0 = free shipping)"),
    comment="Sales orders (one row per order). Order value is the sum of its order_items.",
    **_MYSQL,
)

order_items = sa.Table(
    "order_items",
    metadata,
    sa.Column("order_item_id", sa.Integer, primary_key=True, autoincrement=False),
    _fk("order_id", "orders.order_id", "Order the line belongs to"),
    _fk("product_id", "products.product_id", "Product sold"),
    sa.Column("quantity", sa.Integer, nullable=False, comment="Units sold"),
    _money("unit_price", "Price per unit charged on this order, in euros, before discount"),
    sa.Column(
        "discount",
        sa.Numeric(4, 2),
        nullable=False,
        comment="Discount as a fraction of the price (0.10 = 10 percent off); 0 when none",
    ),
    comment="Order lines. Line revenue = quantity * unit_price * (1 - discount).",
    **_MYSQL,
)

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("payment_id", sa.Integer, primary_key=True, autoincrement=False),
    _fk("order_id", "orders.order_id", "Order paid"),
    _money("amount", "Amount received in euros"),
    sa.Column(
        "method",
        sa.String(20),
        nullable=False,
        comment="'card', 'paypal', 'bank_transfer' or 'direct_debit'",
    ),
    sa.Column("paid_at", sa.DateTime, nullable=False, comment="When the money was received"),
    comment="Payments received. An order may have no payment yet (unpaid), or two instalments.",
    **_MYSQL,
)

shipments = sa.Table(
    "shipments",
    metadata,
    sa.Column("shipment_id", sa.Integer, primary_key=True, autoincrement=False),
    _fk("order_id", "orders.order_id", "Order shipped"),
    sa.Column(
        "carrier",
        sa.String(40),
        nullable=False,
        comment="Carrier, e.g. 'DHL', 'UPS', 'SEUR', 'DPD', 'GLS'",
    ),
    sa.Column(
        "tracking_number",
        sa.String(40),
        nullable=True,
        comment="Carrier tracking number; NULL when the carrier gave none",
    ),
    sa.Column(
        "shipped_at", sa.DateTime, nullable=False, comment="When the parcel left the warehouse"
    ),
    sa.Column(
        "delivered_at",
        sa.DateTime,
        nullable=True,
        comment="When it was delivered; NULL while in transit",
    ),
    comment="Shipments: one per order that has left the warehouse.",
    **_MYSQL,
)

returns = sa.Table(
    "returns",
    metadata,
    sa.Column("return_id", sa.Integer, primary_key=True, autoincrement=False),
    _fk("order_item_id", "order_items.order_item_id", "Order line returned"),
    sa.Column("quantity", sa.Integer, nullable=False, comment="Units returned"),
    sa.Column(
        "reason",
        sa.String(30),
        nullable=True,
        comment="'damaged', 'defective', 'wrong_item', 'not_as_described' or "
        "'changed_mind'; NULL when the customer gave no reason",
    ),
    sa.Column(
        "returned_at", sa.Date, nullable=False, comment="Date the returned goods were received"
    ),
    _money("refund_amount", "Amount refunded to the customer in euros"),
    comment="Returned order lines and the refunds paid for them.",
    **_MYSQL,
)

DEMO_TABLES: tuple[sa.Table, ...] = (
    regions,
    offices,
    employees,
    customers,
    product_categories,
    suppliers,
    products,
    orders,
    order_items,
    payments,
    shipments,
    returns,
)
DEMO_TABLE_NAMES: tuple[str, ...] = tuple(table.name for table in DEMO_TABLES)
