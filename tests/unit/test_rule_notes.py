"""Access-rule notices in plain words: the admin's description, else the condition worded."""

from __future__ import annotations

from backend.domain import AppliedRule
from backend.i18n import Translator
from backend.rule_notes import row_notice

EN, ES = Translator("en"), Translator("es")


def test_the_admins_description_is_the_notice() -> None:
    rule = AppliedRule("customers", "region_id = '2'", (), "Only customers of Iberia.")
    assert row_notice(rule, EN) == "Only customers of Iberia."
    assert row_notice(rule, ES) == "Only customers of Iberia."  # the admin's own words


def test_without_a_description_names_and_numbers_read_as_words() -> None:
    rule = AppliedRule("customers", "region_id = '2'")
    assert row_notice(rule, EN) == "Only customers where region ID is 2 are included."
    assert row_notice(rule, ES) == (
        "Solo se incluyen las filas de clientes en las que region ID es 2."
    )


def test_text_values_are_quoted_and_a_singular_table_reads_plural() -> None:
    rule = AppliedRule("order_item", "(status <> 'test') AND (amount > 15)")
    assert row_notice(rule, EN) == (
        "Only order items where status is not “test” and amount is more than 15 are included."
    )


def test_lists_nulls_ranges_and_mixed_connectors_are_worded() -> None:
    condition = "(channel IN ('web', 'shop') OR closed_at IS NULL) AND year BETWEEN 2024 AND 2026"
    assert row_notice(AppliedRule("orders", condition), EN) == (
        "Only orders where (channel is one of “web”, “shop” or closed at is empty) and "
        "year is between 2024 and 2026 are included."
    )
    assert row_notice(AppliedRule("orders", "status NOT IN ('void') AND x IS NOT NULL"), ES) == (
        "Solo se incluyen las filas de pedidos en las que estado no es ninguno de «void» "
        "y x no está vacío."
    )


def test_what_cannot_be_worded_keeps_its_sql_and_no_filter_no_notice() -> None:
    rule = AppliedRule("orders", "YEAR(ordered_at) >= 2024")
    assert (
        row_notice(rule, EN) == "Only orders where YEAR(ordered_at) is at least 2024 are included."
    )
    assert row_notice(AppliedRule("employees", None, ("salary",)), EN) is None
