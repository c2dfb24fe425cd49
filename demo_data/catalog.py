"""The demo company's catalogue: categories, suppliers and products, written by hand.

The company resells office technology and furniture to businesses and consumers across
Europe. Prices are list prices in euros; `RETURN_RATE` says how often a category's items
come back (per thousand order lines).
"""

from __future__ import annotations

# (name, description, return rate per thousand lines)
CATEGORIES: tuple[tuple[str, str, int], ...] = (
    ("Laptops", "Notebook computers for office and field work", 45),
    ("Monitors", "Desktop displays from 24 to 34 inches", 35),
    ("Peripherals", "Keyboards, mice, webcams and docking stations", 25),
    ("Audio", "Headsets, speakerphones and earbuds", 55),
    ("Networking", "Routers, switches, access points and cables", 20),
    ("Printing", "Printers, scanners, toner and paper", 20),
    ("Storage", "External drives, NAS units and memory cards", 25),
    ("Office Furniture", "Desks, chairs and storage furniture", 40),
    ("Software", "Licences and subscriptions (one year)", 5),
)

# (name, country)
SUPPLIERS: tuple[tuple[str, str], ...] = (
    ("Lenara Computing", "Taiwan"),
    ("Brightpixel Displays", "South Korea"),
    ("Nordkey Peripherals", "Sweden"),
    ("Sonoro Audio", "Denmark"),
    ("Meshpoint Networks", "United States"),
    ("Tintaprint Europe", "Netherlands"),
    ("Datacove Storage", "Ireland"),
    ("Muebles Ergonómicos del Sur", "Spain"),
    ("Büroform Möbelwerk", "Germany"),
    ("Cloudlicense Distribution", "United Kingdom"),
    ("Eurotech Wholesale", "Germany"),
    ("Iberlogic Distribución", "Spain"),
)

# Per category: (product name, list price in cents, supplier index into SUPPLIERS).
PRODUCTS: dict[str, tuple[tuple[str, int, int], ...]] = {
    "Laptops": (
        ("Aurora 14 Laptop i5 16GB", 89900, 0),
        ("Aurora 14 Laptop i7 32GB", 124900, 0),
        ("Aurora 16 Pro Laptop", 164900, 0),
        ("Brisa 13 Ultrabook", 109900, 0),
        ("Brisa 13 Ultrabook OLED", 139900, 0),
        ("Fieldmaster 14 Rugged Laptop", 189900, 10),
        ("Studio 15 Creator Laptop", 219900, 0),
        ("Essential 15 Laptop", 54900, 11),
        ("Essential 14 Chromebook", 32900, 11),
        ("Aurora 14 Laptop i5 8GB", 74900, 0),
    ),
    "Monitors": (
        ("Clearview 24 FHD Monitor", 14900, 1),
        ("Clearview 27 QHD Monitor", 27900, 1),
        ("Clearview 27 4K Monitor", 39900, 1),
        ("Panorama 34 Curved Monitor", 59900, 1),
        ("Clearview 24 Touch Monitor", 32900, 1),
        ("Studio 32 4K Pro Monitor", 99900, 1),
        ("Portable 16 USB-C Monitor", 19900, 10),
        ("Clearview 22 Basic Monitor", 9900, 11),
    ),
    "Peripherals": (
        ("Silent Wireless Keyboard", 4900, 2),
        ("Silent Wireless Mouse", 2900, 2),
        ("Ergo Vertical Mouse", 5900, 2),
        ("Mechanical Keyboard TKL", 10900, 2),
        ("Keyboard and Mouse Combo", 6900, 2),
        ("HD Webcam 1080p", 7900, 2),
        ("4K Conference Webcam", 19900, 2),
        ("USB-C Docking Station", 18900, 10),
        ("Thunderbolt Dock Pro", 29900, 10),
        ("Laptop Stand Aluminium", 3900, 11),
        ("USB-C Travel Hub", 4500, 11),
        ("Monitor Arm Dual", 12900, 8),
    ),
    "Audio": (
        ("Focus ANC Headset", 17900, 3),
        ("Focus Mono Headset", 6900, 3),
        ("Focus Stereo Headset", 8900, 3),
        ("Meeting Speakerphone", 14900, 3),
        ("Meeting Speakerphone XL", 34900, 3),
        ("Pulse Wireless Earbuds", 12900, 3),
        ("Conference Microphone Kit", 44900, 3),
    ),
    "Networking": (
        ("Meshpoint Wi-Fi 6 Access Point", 18900, 4),
        ("Meshpoint Wi-Fi 7 Access Point", 32900, 4),
        ("Core 24-Port PoE Switch", 49900, 4),
        ("Core 8-Port Switch", 8900, 4),
        ("Edge Business Router", 27900, 4),
        ("Edge VPN Firewall", 64900, 4),
        ("Cat6 Patch Cable 2m (10 pack)", 2400, 10),
        ("Fibre Transceiver 10G", 5900, 10),
    ),
    "Printing": (
        ("Tinta Laser Printer Mono", 19900, 5),
        ("Tinta Laser Printer Colour", 44900, 5),
        ("Tinta Multifunction Printer", 69900, 5),
        ("Tinta Document Scanner", 39900, 5),
        ("Toner Cartridge Black", 8900, 5),
        ("Toner Cartridge Colour Set", 24900, 5),
        ("Copy Paper A4 (5 reams)", 2900, 11),
        ("Label Printer", 12900, 5),
    ),
    "Storage": (
        ("Datacove 1TB Portable SSD", 11900, 6),
        ("Datacove 2TB Portable SSD", 19900, 6),
        ("Datacove 4TB Desktop Drive", 14900, 6),
        ("Datacove 2-Bay NAS", 37900, 6),
        ("Datacove 4-Bay NAS", 69900, 6),
        ("Encrypted USB Stick 64GB", 4900, 6),
        ("microSD Card 256GB", 3900, 11),
    ),
    "Office Furniture": (
        ("Ergo Task Chair", 32900, 7),
        ("Ergo Executive Chair", 59900, 8),
        ("Sit-Stand Desk 140cm", 54900, 8),
        ("Sit-Stand Desk 160cm", 64900, 8),
        ("Meeting Table 6-Seat", 79900, 7),
        ("Mobile Pedestal 3-Drawer", 22900, 7),
        ("Acoustic Desk Screen", 18900, 8),
        ("Bookcase Oak 5-Shelf", 27900, 7),
        ("Footrest Adjustable", 4900, 7),
    ),
    "Software": (
        ("Office Suite Business (1 year)", 12900, 9),
        ("Endpoint Security (1 year)", 4900, 9),
        ("Cloud Backup 1TB (1 year)", 9900, 9),
        ("Password Manager Teams (1 year)", 3900, 9),
        ("Video Meetings Pro (1 year)", 14900, 9),
    ),
}

# Gross margin band by category, in percent of the list price: (lowest, highest).
MARGINS: dict[str, tuple[int, int]] = {
    "Laptops": (10, 18),
    "Monitors": (14, 24),
    "Peripherals": (30, 45),
    "Audio": (28, 42),
    "Networking": (22, 35),
    "Printing": (18, 40),
    "Storage": (20, 32),
    "Office Furniture": (32, 48),
    "Software": (15, 25),
}

CARRIERS: dict[str, tuple[str, ...]] = {
    "IBE": ("SEUR", "Correos Express", "DHL", "UPS"),
    "UKI": ("DPD", "Royal Mail", "DHL", "UPS"),
    "FRB": ("Colissimo", "DPD", "PostNL", "DHL"),
    "DAC": ("DHL", "DPD", "GLS", "UPS"),
    "ITA": ("BRT", "GLS", "DHL", "UPS"),
    "NOR": ("PostNord", "DHL", "UPS"),
}

RETURN_REASONS: tuple[str, ...] = (
    "damaged",
    "defective",
    "defective",
    "wrong_item",
    "not_as_described",
    "changed_mind",
    "changed_mind",
)

DISCOUNT_CODES: tuple[tuple[str, int], ...] = (
    ("WELCOME10", 10),
    ("SPRING15", 15),
    ("BLACKFRIDAY20", 20),
    ("BACK2WORK", 10),
    ("NEWSLETTER5", 5),
    ("PARTNER15", 15),
)
