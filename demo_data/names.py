"""Hand-written name lists for the demo data: people, companies and European places.

Spanish-speaking and English names dominate, with a few names from the other markets the
demo company sells to. Lists are tuples so their order — and so the generated data — can
never change by accident.
"""

from __future__ import annotations

SPANISH_FIRST_NAMES: tuple[str, ...] = (
    "Alejandro", "Ana", "Andrés", "Beatriz", "Carlos", "Carmen", "Clara", "Cristina",
    "Daniel", "Diego", "Elena", "Eva", "Fernando", "Francisco", "Gabriela", "Hugo",
    "Inés", "Isabel", "Javier", "Jorge", "José", "Juan", "Julia", "Laura", "Lucía",
    "Luis", "Manuel", "Marcos", "María", "Marta", "Miguel", "Nerea", "Noelia", "Pablo",
    "Paula", "Pedro", "Pilar", "Rafael", "Raquel", "Ricardo", "Rocío", "Sara", "Sergio",
    "Silvia", "Sofía", "Teresa", "Valentina", "Víctor", "Ximena", "Yolanda",
)  # fmt: skip

SPANISH_LAST_NAMES: tuple[str, ...] = (
    "Aguilar", "Alonso", "Álvarez", "Blanco", "Castillo", "Castro", "Cortés", "Delgado",
    "Díaz", "Domínguez", "Fernández", "Flores", "García", "Garrido", "Gil", "Gómez",
    "González", "Gutiérrez", "Hernández", "Herrera", "Iglesias", "Jiménez", "López",
    "Marín", "Martín", "Martínez", "Medina", "Molina", "Morales", "Moreno", "Muñoz",
    "Navarro", "Núñez", "Ortega", "Ortiz", "Pérez", "Ramírez", "Ramos", "Romero", "Rubio",
    "Ruiz", "Sánchez", "Santos", "Serrano", "Suárez", "Torres", "Vargas", "Vázquez",
    "Vega", "Ibáñez",
)  # fmt: skip

ENGLISH_FIRST_NAMES: tuple[str, ...] = (
    "Adam", "Alice", "Amelia", "Andrew", "Benjamin", "Charlotte", "Chloe", "Daniel",
    "David", "Eleanor", "Emily", "Emma", "George", "Grace", "Hannah", "Harry", "Isla",
    "Jack", "James", "Jessica", "Joshua", "Katie", "Liam", "Lily", "Lucy", "Matthew",
    "Megan", "Michael", "Noah", "Oliver", "Olivia", "Oscar", "Patrick", "Rachel",
    "Rebecca", "Robert", "Ruby", "Ryan", "Samuel", "Sarah", "Sophie", "Thomas", "William",
    "Zoe", "Aoife", "Ciaran", "Niamh", "Sean", "Fiona", "Callum",
)  # fmt: skip

ENGLISH_LAST_NAMES: tuple[str, ...] = (
    "Adams", "Baker", "Bennett", "Brown", "Campbell", "Carter", "Clarke", "Cooper",
    "Davies", "Edwards", "Evans", "Fisher", "Green", "Hall", "Harris", "Hughes",
    "Jackson", "Johnson", "Jones", "Kelly", "King", "Lewis", "Martin", "Mitchell",
    "Moore", "Morgan", "Murphy", "O'Brien", "O'Connor", "Palmer", "Parker", "Phillips",
    "Reid", "Roberts", "Robinson", "Scott", "Smith", "Stewart", "Taylor", "Thompson",
    "Turner", "Walker", "Walsh", "Ward", "Watson", "White", "Williams", "Wilson", "Wood",
    "Wright",
)  # fmt: skip

OTHER_FIRST_NAMES: tuple[str, ...] = (
    "Lukas", "Anna", "Jonas", "Lena", "Felix", "Marie", "Julien", "Camille", "Louis",
    "Manon", "Giulia", "Marco", "Francesca", "Lorenzo", "Sven", "Ingrid", "Erik", "Astrid",
    "Sanne", "Daan", "João", "Inês", "Tiago", "Beatriz",
)  # fmt: skip

OTHER_LAST_NAMES: tuple[str, ...] = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Dubois", "Laurent", "Moreau",
    "Lefèvre", "Rossi", "Bianchi", "Romano", "Ricci", "Andersson", "Johansson", "Nielsen",
    "Larsen", "de Vries", "Jansen", "Bakker", "Silva", "Costa", "Pereira", "Ferreira",
)  # fmt: skip

COMPANY_ROOTS: tuple[str, ...] = (
    "Alhambra", "Altamira", "Andalusí", "Atlántico", "Aurora", "Azahar", "Brightwater",
    "Castellana", "Cedar", "Cierzo", "Clearview", "Cobalt", "Costa Verde", "Crown",
    "Duero", "Ebro", "Elm", "Estrella", "Falcon", "Faro", "Granite", "Greenfield",
    "Guadalquivir", "Harbour", "Helix", "Highland", "Horizonte", "Iberia", "Kestrel",
    "Lighthouse", "Lumbre", "Marea", "Meridian", "Mirador", "Montaña", "Northgate",
    "Nova", "Oakridge", "Olivo", "Orion", "Pinnacle", "Puerto", "Quantum", "Redwood",
    "Riverside", "Sierra", "Silverline", "Solaris", "Sterling", "Summit", "Tajo",
    "Thistle", "Tramontana", "Trident", "Valle", "Vanguard", "Vértice", "Westbrook",
    "Willow", "Zenith",
)  # fmt: skip

COMPANY_SECTORS: tuple[str, ...] = (
    "Abogados", "Accounting", "Arquitectura", "Analytics", "Asesores", "Automotive",
    "Biotech", "Builders", "Catering", "Clinic", "Construcciones", "Consulting",
    "Design", "Distribución", "Education", "Energía", "Engineering", "Foods",
    "Hotels", "Imports", "Ingeniería", "Insurance", "Logística", "Legal", "Marketing",
    "Media", "Partners", "Pharma", "Properties", "Retail", "Salud", "Seguros",
    "Software", "Solutions", "Studio", "Systems", "Technologies", "Textiles", "Travel",
    "Ventures",
)  # fmt: skip

# Legal suffix of a company name, by country.
COMPANY_FORMS: dict[str, tuple[str, ...]] = {
    "Spain": ("S.L.", "S.A.", "S.L.U."),
    "Portugal": ("Lda.", "S.A."),
    "United Kingdom": ("Ltd", "plc", "LLP"),
    "Ireland": ("Ltd", "DAC"),
    "France": ("SAS", "SARL", "SA"),
    "Belgium": ("BV", "SA"),
    "Netherlands": ("B.V.", "N.V."),
    "Germany": ("GmbH", "AG", "KG"),
    "Austria": ("GmbH", "AG"),
    "Switzerland": ("AG", "GmbH"),
    "Italy": ("S.r.l.", "S.p.A."),
    "Sweden": ("AB",),
    "Denmark": ("ApS", "A/S"),
    "Norway": ("AS",),
}

# Region code → region name, then that region's countries with (city, weight) pairs.
REGIONS: tuple[tuple[str, str], ...] = (
    ("IBE", "Iberia"),
    ("UKI", "UK & Ireland"),
    ("FRB", "France & Benelux"),
    ("DAC", "DACH"),
    ("ITA", "Italy"),
    ("NOR", "Nordics"),
)

REGION_SHARE: dict[str, int] = {"IBE": 30, "UKI": 20, "FRB": 17, "DAC": 15, "ITA": 10, "NOR": 8}

CITIES: dict[str, tuple[tuple[str, str, int], ...]] = {
    "IBE": (
        ("Spain", "Madrid", 30), ("Spain", "Barcelona", 25), ("Spain", "Valencia", 10),
        ("Spain", "Sevilla", 8), ("Spain", "Bilbao", 6), ("Spain", "Málaga", 6),
        ("Spain", "Zaragoza", 5), ("Spain", "A Coruña", 3), ("Spain", "Palma", 3),
        ("Portugal", "Lisbon", 12), ("Portugal", "Porto", 7),
    ),
    "UKI": (
        ("United Kingdom", "London", 35), ("United Kingdom", "Manchester", 10),
        ("United Kingdom", "Birmingham", 8), ("United Kingdom", "Leeds", 5),
        ("United Kingdom", "Bristol", 5), ("United Kingdom", "Edinburgh", 6),
        ("United Kingdom", "Glasgow", 5), ("Ireland", "Dublin", 14), ("Ireland", "Cork", 4),
    ),
    "FRB": (
        ("France", "Paris", 30), ("France", "Lyon", 10), ("France", "Marseille", 7),
        ("France", "Toulouse", 6), ("France", "Lille", 4), ("Belgium", "Brussels", 10),
        ("Belgium", "Antwerp", 5), ("Netherlands", "Amsterdam", 15),
        ("Netherlands", "Rotterdam", 7), ("Netherlands", "Utrecht", 4),
    ),
    "DAC": (
        ("Germany", "Berlin", 20), ("Germany", "Munich", 18), ("Germany", "Hamburg", 14),
        ("Germany", "Frankfurt", 12), ("Germany", "Cologne", 8), ("Austria", "Vienna", 12),
        ("Switzerland", "Zurich", 10), ("Switzerland", "Geneva", 6),
    ),
    "ITA": (
        ("Italy", "Milan", 35), ("Italy", "Rome", 25), ("Italy", "Turin", 12),
        ("Italy", "Bologna", 10), ("Italy", "Florence", 9), ("Italy", "Naples", 9),
    ),
    "NOR": (
        ("Sweden", "Stockholm", 30), ("Sweden", "Gothenburg", 12),
        ("Denmark", "Copenhagen", 28), ("Norway", "Oslo", 22), ("Denmark", "Aarhus", 8),
    ),
}  # fmt: skip

PHONE_PREFIXES: dict[str, str] = {
    "Spain": "+34", "Portugal": "+351", "United Kingdom": "+44", "Ireland": "+353",
    "France": "+33", "Belgium": "+32", "Netherlands": "+31", "Germany": "+49",
    "Austria": "+43", "Switzerland": "+41", "Italy": "+39", "Sweden": "+46",
    "Denmark": "+45", "Norway": "+47",
}  # fmt: skip

# Offices: (region code, office name, city, country, year opened).
OFFICES: tuple[tuple[str, str, str, str, int], ...] = (
    ("IBE", "Madrid HQ", "Madrid", "Spain", 2012),
    ("IBE", "Barcelona", "Barcelona", "Spain", 2014),
    ("IBE", "Lisbon", "Lisbon", "Portugal", 2018),
    ("UKI", "London", "London", "United Kingdom", 2015),
    ("UKI", "Manchester", "Manchester", "United Kingdom", 2019),
    ("UKI", "Dublin", "Dublin", "Ireland", 2017),
    ("FRB", "Paris", "Paris", "France", 2016),
    ("FRB", "Amsterdam", "Amsterdam", "Netherlands", 2018),
    ("DAC", "Munich", "Munich", "Germany", 2017),
    ("DAC", "Berlin", "Berlin", "Germany", 2020),
    ("ITA", "Milan", "Milan", "Italy", 2019),
    ("NOR", "Stockholm", "Stockholm", "Sweden", 2020),
)

PERSONAL_EMAIL_DOMAINS: tuple[str, ...] = (
    "gmail.com", "outlook.com", "yahoo.es", "hotmail.com", "icloud.com", "proton.me",
    "gmx.de", "orange.fr", "libero.it", "telefonica.net",
)  # fmt: skip
