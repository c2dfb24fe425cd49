"""Spanish labels for the commonest analytics column names: 'total_revenue' → 'Ingresos totales'.

Column names are the database's words, mostly English, and most cannot be translated
safely. A small glossary covers the words that name the same thing in any sales or
operations schema, in four shapes only:

- one word: `revenue` → 'Ingresos', `country` → 'País', `COUNT(*)` → 'Recuento';
- an aggregate and a word: `total_revenue` → 'Ingresos totales', `avg_price` → 'Precio medio'
  (the adjective agrees in gender and number);
- a count of things: `n_orders`, `order_count`, `number_of_customers` → 'Número de pedidos';
- anything else keeps its English label ('Unit price', 'Customer ID'): a half-translated
  label would be worse than an honest English one.
"""

from __future__ import annotations

from typing import NamedTuple


class _Noun(NamedTuple):
    singular: str
    plural: str
    feminine: bool
    is_plural: bool  # what the English word means: 'orders' is plural, 'revenue' is not


def _n(singular: str, plural: str, gender: str, *, many: bool = False) -> _Noun:
    return _Noun(singular, plural, gender == "f", many)


_NOUNS: dict[str, _Noun] = {
    "revenue": _n("ingresos", "ingresos", "m", many=True),
    "income": _n("ingresos", "ingresos", "m", many=True),
    "sales": _n("ventas", "ventas", "f", many=True),
    "sale": _n("venta", "ventas", "f"),
    "amount": _n("importe", "importes", "m"),
    "price": _n("precio", "precios", "m"),
    "cost": _n("coste", "costes", "m"),
    "costs": _n("costes", "costes", "m", many=True),
    "profit": _n("beneficio", "beneficios", "m"),
    "margin": _n("margen", "márgenes", "m"),
    "discount": _n("descuento", "descuentos", "m"),
    "quantity": _n("cantidad", "cantidades", "f"),
    "value": _n("valor", "valores", "m"),
    "basket": _n("cesta", "cestas", "f"),
    "rating": _n("valoración", "valoraciones", "f"),
    "score": _n("puntuación", "puntuaciones", "f"),
    "count": _n("recuento", "recuentos", "m"),
    "total": _n("total", "totales", "m"),
    "order": _n("pedido", "pedidos", "m"),
    "orders": _n("pedidos", "pedidos", "m", many=True),
    "customer": _n("cliente", "clientes", "m"),
    "customers": _n("clientes", "clientes", "m", many=True),
    "product": _n("producto", "productos", "m"),
    "products": _n("productos", "productos", "m", many=True),
    "item": _n("artículo", "artículos", "m"),
    "items": _n("artículos", "artículos", "m", many=True),
    "unit": _n("unidad", "unidades", "f"),
    "units": _n("unidades", "unidades", "f", many=True),
    "user": _n("usuario", "usuarios", "m"),
    "users": _n("usuarios", "usuarios", "m", many=True),
    "visits": _n("visitas", "visitas", "f", many=True),
    "rows": _n("filas", "filas", "f", many=True),
    "country": _n("país", "países", "m"),
    "region": _n("región", "regiones", "f"),
    "city": _n("ciudad", "ciudades", "f"),
    "category": _n("categoría", "categorías", "f"),
    "channel": _n("canal", "canales", "m"),
    "segment": _n("segmento", "segmentos", "m"),
    "status": _n("estado", "estados", "m"),
    "store": _n("tienda", "tiendas", "f"),
    "name": _n("nombre", "nombres", "m"),
    "date": _n("fecha", "fechas", "f"),
    "day": _n("día", "días", "m"),
    "week": _n("semana", "semanas", "f"),
    "month": _n("mes", "meses", "m"),
    "quarter": _n("trimestre", "trimestres", "m"),
    "year": _n("año", "años", "m"),
    "hour": _n("hora", "horas", "f"),
    "weekday": _n("día de la semana", "días de la semana", "m"),
}
# Aggregates as Spanish adjectives: masculine, feminine (plural adds -s/-es).
_ADJECTIVES: dict[str, tuple[str, str]] = {
    "total": ("total", "total"),
    "average": ("medio", "media"),
    "mean": ("medio", "media"),
    "minimum": ("mínimo", "mínima"),
    "maximum": ("máximo", "máxima"),
    "min": ("mínimo", "mínima"),
    "max": ("máximo", "máxima"),
}
_COUNT_WORDS = frozenset({"count", "number"})


def spanish_label(words: list[str]) -> str | None:
    """The Spanish label for the lower-case words of an English label; None if unsure."""
    if len(words) == 1 and words[0] in _NOUNS:
        return _capital(_NOUNS[words[0]].singular)
    things = _counted(words)
    if things is not None:
        return f"Número de {things.plural}"
    if len(words) == 2 and words[0] in _ADJECTIVES and words[1] in _NOUNS:
        noun = _NOUNS[words[1]]
        return _capital(f"{noun.singular} {_agree(words[0], noun)}")
    return None


def spanish_plural(words: list[str]) -> str | None:
    """'países' for ['country']: the plural of a one-word label, for counts of categories."""
    if len(words) == 1 and words[0] in _NOUNS:
        return _NOUNS[words[0]].plural
    return None


def _counted(words: list[str]) -> _Noun | None:
    """The noun of 'number of orders', 'order count', 'count of orders'."""
    if len(words) == 3 and words[0] in _COUNT_WORDS and words[1] == "of":
        return _NOUNS.get(words[2])
    if len(words) == 2 and words[1] == "count" and words[0] != "count":
        return _NOUNS.get(words[0])
    return None


def _agree(adjective: str, noun: _Noun) -> str:
    masculine, feminine = _ADJECTIVES[adjective]
    word = feminine if noun.feminine else masculine
    if not noun.is_plural:
        return word
    return word + ("es" if word.endswith("l") else "s")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
