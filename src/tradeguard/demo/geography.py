"""Where demo trade comes from and arrives: cities, ports of lading, U.S. ports, carriers.

Plain data tables so a reader can check every code: UN/LOCODEs of the main export ports per
country, CBP four-digit ports of entry by mode, ocean carrier SCACs and air carrier prefixes.
Price factors say how a country's typical unit price compares with China's for the same goods.
"""

from __future__ import annotations

from typing import Final

# country -> [(city, province/state, UN/LOCODE of the usual port of lading)]
CITIES: Final[dict[str, list[tuple[str, str, str]]]] = {
    "CN": [("Ningbo", "Zhejiang", "CNNGB"), ("Shanghai", "Shanghai", "CNSHA"),
           ("Shenzhen", "Guangdong", "CNYTN"), ("Dongguan", "Guangdong", "CNYTN"),
           ("Guangzhou", "Guangdong", "CNCAN"), ("Foshan", "Guangdong", "CNCAN"),
           ("Qingdao", "Shandong", "CNTAO"), ("Xiamen", "Fujian", "CNXMN"),
           ("Suzhou", "Jiangsu", "CNSHA"), ("Wuxi", "Jiangsu", "CNSHA"),
           ("Hangzhou", "Zhejiang", "CNNGB"), ("Yiwu", "Zhejiang", "CNNGB"),
           ("Tianjin", "Tianjin", "CNTSN"), ("Jinjiang", "Fujian", "CNXMN"),
           ("Linyi", "Shandong", "CNTAO"), ("Changzhou", "Jiangsu", "CNSHA")],
    "VN": [("Ho Chi Minh City", "Ho Chi Minh", "VNSGN"), ("Binh Duong", "Binh Duong", "VNSGN"),
           ("Dong Nai", "Dong Nai", "VNSGN"), ("Hai Phong", "Hai Phong", "VNHPH"),
           ("Bac Ninh", "Bac Ninh", "VNHPH"), ("Da Nang", "Da Nang", "VNDAD")],
    "BD": [("Dhaka", "Dhaka", "BDCGP"), ("Gazipur", "Dhaka", "BDCGP"),
           ("Chattogram", "Chattogram", "BDCGP"), ("Narayanganj", "Dhaka", "BDCGP")],
    "IN": [("Tiruppur", "Tamil Nadu", "INMAA"), ("Chennai", "Tamil Nadu", "INMAA"),
           ("Mumbai", "Maharashtra", "INNSA"), ("Ludhiana", "Punjab", "INNSA"),
           ("Ahmedabad", "Gujarat", "INMUN"), ("Kochi", "Kerala", "INCOK"),
           ("Visakhapatnam", "Andhra Pradesh", "INVTZ")],
    "KH": [("Phnom Penh", "Phnom Penh", "KHKOS"), ("Sihanoukville", "Preah Sihanouk", "KHKOS")],
    "ID": [("Jakarta", "DKI Jakarta", "IDTPP"), ("Surabaya", "East Java", "IDSUB"),
           ("Semarang", "Central Java", "IDSRG"), ("Bandung", "West Java", "IDTPP")],
    "PK": [("Karachi", "Sindh", "PKKHI"), ("Faisalabad", "Punjab", "PKKHI"),
           ("Lahore", "Punjab", "PKKHI")],
    "LK": [("Colombo", "Western", "LKCMB"), ("Katunayake", "Western", "LKCMB")],
    "HN": [("San Pedro Sula", "Cortes", "HNPCR"), ("Choloma", "Cortes", "HNPCR")],
    "GT": [("Guatemala City", "Guatemala", "GTSTC"), ("Villa Nueva", "Guatemala", "GTSTC")],
    "MX": [("Monterrey", "Nuevo Leon", "MXMTY"), ("Guadalajara", "Jalisco", "MXGDL"),
           ("Tijuana", "Baja California", "MXTIJ"), ("Ciudad Juarez", "Chihuahua", "MXCJS"),
           ("Culiacan", "Sinaloa", "MXCUL"), ("Uruapan", "Michoacan", "MXZLO")],
    "CA": [("Toronto", "Ontario", "CATOR"), ("Mississauga", "Ontario", "CATOR"),
           ("Montreal", "Quebec", "CAMTR"), ("Vancouver", "British Columbia", "CAVAN"),
           ("Calgary", "Alberta", "CACAL")],
    "TH": [("Bangkok", "Bangkok", "THLCH"), ("Rayong", "Rayong", "THLCH"),
           ("Chonburi", "Chonburi", "THLCH"), ("Samut Sakhon", "Samut Sakhon", "THBKK")],
    "MY": [("Penang", "Penang", "MYPEN"), ("Johor Bahru", "Johor", "MYTPP"),
           ("Shah Alam", "Selangor", "MYPKG"), ("Klang", "Selangor", "MYPKG"),
           ("Kulim", "Kedah", "MYPEN")],
    "TW": [("Taichung", "Taichung", "TWTXG"), ("Kaohsiung", "Kaohsiung", "TWKHH"),
           ("Tainan", "Tainan", "TWKHH"), ("Taoyuan", "Taoyuan", "TWKEL")],
    "KR": [("Busan", "Busan", "KRPUS"), ("Ulsan", "Ulsan", "KRUSN"),
           ("Incheon", "Incheon", "KRINC"), ("Changwon", "Gyeongsangnam", "KRPUS")],
    "JP": [("Osaka", "Osaka", "JPOSA"), ("Nagoya", "Aichi", "JPNGO"),
           ("Yokohama", "Kanagawa", "JPYOK"), ("Kobe", "Hyogo", "JPUKB")],
    "DE": [("Hamburg", "Hamburg", "DEHAM"), ("Stuttgart", "Baden-Wurttemberg", "DEBRV"),
           ("Munich", "Bavaria", "DEBRV"), ("Burghausen", "Bavaria", "DEHAM")],
    "IT": [("Milan", "Lombardy", "ITGOA"), ("Parma", "Emilia-Romagna", "ITSPE"),
           ("Naples", "Campania", "ITNAP"), ("Treviso", "Veneto", "ITVCE")],
    "TR": [("Istanbul", "Istanbul", "TRAMR"), ("Bursa", "Bursa", "TRGEM"),
           ("Izmir", "Izmir", "TRIZM")],
    "ES": [("Valencia", "Valencia", "ESVLC"), ("Barcelona", "Catalonia", "ESBCN")],
    "PT": [("Porto", "Porto", "PTLEI"), ("Lisbon", "Lisbon", "PTLIS")],
    "FR": [("Lyon", "Auvergne-Rhone-Alpes", "FRFOS"), ("Le Havre", "Normandy", "FRLEH")],
    "AT": [("Linz", "Upper Austria", "DEHAM")],
    "PL": [("Poznan", "Greater Poland", "PLGDY"), ("Gdansk", "Pomerania", "PLGDN")],
    "SE": [("Gothenburg", "Vastra Gotaland", "SEGOT")],
    "NO": [("Oslo", "Oslo", "NOOSL"), ("Kristiansand", "Agder", "NOKRS")],
    "BR": [("Sao Paulo", "Sao Paulo", "BRSSZ"), ("Itajai", "Santa Catarina", "BRITJ")],
    "AR": [("Buenos Aires", "Buenos Aires", "ARBUE"), ("Rosario", "Santa Fe", "ARROS")],
    "CL": [("Santiago", "Santiago", "CLSAI"), ("Concepcion", "Biobio", "CLSVE")],
    "PE": [("Lima", "Lima", "PECLL"), ("Trujillo", "La Libertad", "PESLY")],
    "EC": [("Guayaquil", "Guayas", "ECGYE"), ("Machala", "El Oro", "ECPBO")],
    "CO": [("Bogota", "Bogota", "COBAQ"), ("Medellin", "Antioquia", "COCTG")],
    "CR": [("San Jose", "San Jose", "CRMOB"), ("Limon", "Limon", "CRMOB")],
    "DO": [("Santo Domingo", "Distrito Nacional", "DOCAU")],
    "PH": [("Manila", "Metro Manila", "PHMNL"), ("Cebu", "Cebu", "PHCEB")],
    "UZ": [("Tashkent", "Tashkent", "UZTAS")],
    "UA": [("Kyiv", "Kyiv", "UAODS")],
    "UY": [("Montevideo", "Montevideo", "UYMVD")],
    "AE": [("Dubai", "Dubai", "AEJEA"), ("Abu Dhabi", "Abu Dhabi", "AEKHL")],
    "BH": [("Manama", "Capital", "BHKBS")],
    "OM": [("Sohar", "Al Batinah", "OMSOH")],
    "AU": [("Sydney", "New South Wales", "AUSYD"), ("Gladstone", "Queensland", "AUGLT")],
    "NZ": [("Auckland", "Auckland", "NZAKL")],
    "JM": [("Kingston", "Kingston", "JMKIN")],
    "TT": [("Point Lisas", "Couva", "TTPTS")],
    "GQ": [("Malabo", "Bioko Norte", "GQSSG")],
    "EG": [("Alexandria", "Alexandria", "EGALY")],
    "ET": [("Addis Ababa", "Addis Ababa", "DJJIB")],
    "RU": [("Saint Petersburg", "Saint Petersburg", "RULED")],
    "HK": [("Kwun Tong", "Kowloon", "HKHKG"), ("Tsuen Wan", "New Territories", "HKHKG")],
    "SG": [("Singapore", "Singapore", "SGSIN")],
}

# Xinjiang cities as they appear on documents (romanised, alternate and Chinese forms).
XUAR_CITIES: Final[list[tuple[str, str]]] = [
    ("Urumqi", "Xinjiang"), ("Ürümqi", "Xinjiang Uygur Autonomous Region"),
    ("乌鲁木齐", "新疆"), ("Kashgar", "Xinjiang"), ("Kashi", "Xinjiang"),
    ("Hotan", "Xinjiang"), ("Hetian", "XUAR"), ("Aksu", "Xinjiang"),
    ("Shihezi", "Xinjiang"), ("Turpan", "Xinjiang"), ("Korla", "Xinjiang"),
    ("Changji", "Xinjiang"), ("Kuitun", "Xinjiang"), ("Yining", "Xinjiang"),
]

# Street names per country, written as local paperwork writes them; no commas (the first comma
# of an address ends the street). Countries without a pool use GENERIC_STREETS.
STREETS: Final[dict[str, list[str]]] = {
    "CN": ["Xingye Road", "Jinqiao Road", "Huangpu Road", "Zhongshan Road", "Renmin Road",
           "Keji Road", "Changjiang Road", "Jianshe Road", "Gongye Avenue", "Binhai Avenue"],
    "TW": ["Zhongzheng Road", "Industrial 1st Road", "Minsheng Road", "Chenggong Road"],
    "HK": ["Hoi Bun Road", "Kwun Tong Road", "Castle Peak Road", "Wang Lung Street"],
    "VN": ["Nguyen Van Linh Street", "Hai Ba Trung Street", "Tan Thuan Road", "Le Loi Street",
           "Tran Hung Dao Street", "VSIP Boulevard"],
    "KH": ["Veng Sreng Boulevard", "Russian Federation Boulevard", "Street 271", "Street 598"],
    "MY": ["Jalan Perindustrian", "Jalan Kemajuan", "Jalan Klang Lama", "Jalan Perusahaan"],
    "ID": ["Jalan Raya Industri", "Jalan Gatot Subroto", "Jalan Jababeka Raya", "Jalan Rungkut"],
    "TH": ["Soi Bangna", "Sukhumvit Road", "Rama II Road", "Bangna-Trad Road"],
    "PH": ["Ayala Avenue", "EDSA", "Mactan Economic Zone Road"],
    "BD": ["Mirpur Road", "Tongi Industrial Area", "Dhaka-Mymensingh Highway",
           "Kamal Ataturk Avenue"],
    "IN": ["MG Road", "GIDC Estate Road", "Avinashi Road", "Mount Road",
           "Industrial Area Phase II"],
    "PK": ["Sargodha Road", "Korangi Road", "Ferozepur Road", "Canal Road"],
    "LK": ["Negombo Road", "Baseline Road", "Katunayake EPZ Road"],
    "KR": ["Sandan-ro", "Gongdan-ro", "Teheran-ro", "Haean-ro"],
    "JP": ["Chuo-dori", "Showa-dori", "Sakura-dori", "Minato-dori"],
    "DE": ["Gewerbestrasse", "Industriestrasse", "Hauptstrasse", "Hafenstrasse"],
    "AT": ["Gewerbestrasse", "Industriezeile", "Hauptstrasse"],
    "IT": ["Via Industria", "Via Roma", "Via dell'Artigianato", "Via Emilia"],
    "ES": ["Calle Mayor", "Avenida de la Industria", "Poligono Industrial"],
    "PT": ["Rua da Industria", "Avenida da Liberdade", "Rua do Comercio"],
    "FR": ["Boulevard Industriel", "Rue de la Republique", "Avenue Jean Jaures"],
    "PL": ["ulica Przemyslowa", "ulica Fabryczna", "ulica Portowa"],
    "SE": ["Industrivagen", "Storgatan", "Hamngatan"],
    "NO": ["Industriveien", "Storgata", "Havnegata"],
    "TR": ["Ataturk Caddesi", "Organize Sanayi Bolgesi", "Cumhuriyet Caddesi"],
    "MX": ["Avenida Industrial", "Calle Industria", "Boulevard Aeropuerto",
           "Avenida Revolucion"],
    "GT": ["Calzada Roosevelt", "Avenida Petapa"], "HN": ["Boulevard del Norte", "Calle Principal"],
    "CO": ["Avenida El Dorado", "Calle 80"], "PE": ["Avenida Argentina", "Avenida Colonial"],
    "CL": ["Avenida Vicuna Mackenna", "Camino a Melipilla"],
    "AR": ["Avenida General Paz", "Calle Industria"], "EC": ["Avenida Juan Tanca Marengo"],
    "CR": ["Calle Central"], "DO": ["Avenida Las Americas"], "UY": ["Avenida Italia"],
    "BR": ["Rua das Industrias", "Avenida Paulista", "Rodovia Anhanguera"],
    "CA": ["Industrial Parkway", "Dundas Street", "Boulevard Industriel"],
    "AU": ["Industrial Drive", "Harbour Road"], "NZ": ["Great South Road"],
    "AE": ["Sheikh Zayed Road", "Jebel Ali Free Zone Road"],
    "SG": ["Tuas Avenue", "Jurong Port Road"],
    "RU": ["Promyshlennaya Street", "Lenina Street"], "UA": ["Promyslova Street"],
}
GENERIC_STREETS: Final[list[str]] = ["Industrial Road", "Harbour Road", "Main Street",
                                     "Export Processing Zone", "Free Zone Road"]
# Where the building number goes: after the street (Gewerbestrasse 12, Avenida Industrial 552)
# or before it with "No." (No. 552 Xingye Road); elsewhere plainly before it (552 MG Road).
NUMBER_AFTER: Final[frozenset[str]] = frozenset(
    {"DE", "AT", "IT", "ES", "PT", "PL", "SE", "NO", "TR", "MX", "GT", "HN", "CO", "PE", "CL", "AR",
     "EC", "CR", "DO", "UY", "BR"})
NUMBER_WITH_NO: Final[frozenset[str]] = frozenset({"CN", "TW", "HK", "KH"})

# Country typical unit-price factor relative to China for the same goods.
PRICE_FACTOR: Final[dict[str, float]] = {
    "CN": 1.0, "VN": 1.08, "BD": 0.9, "IN": 0.97, "KH": 1.05, "ID": 1.05, "PK": 0.92,
    "LK": 1.1, "HN": 1.15, "GT": 1.15, "MX": 1.18, "CA": 1.25, "TH": 1.1, "MY": 1.12,
    "TW": 1.2, "KR": 1.3, "JP": 1.45, "DE": 1.5, "IT": 1.55, "TR": 1.1, "ES": 1.35,
    "PT": 1.3, "FR": 1.5, "AT": 1.45, "PL": 1.2, "SE": 1.4, "NO": 1.4, "BR": 1.05,
    "AR": 1.0, "CL": 1.1, "PE": 1.1, "EC": 1.0, "CO": 1.05, "CR": 1.05, "DO": 1.05,
    "PH": 1.05, "UZ": 0.9, "UA": 0.95, "UY": 1.05, "AE": 1.1, "BH": 1.1, "OM": 1.0,
    "AU": 1.2, "NZ": 1.25, "JM": 1.0, "TT": 1.0, "GQ": 1.0, "EG": 1.0, "ET": 1.0,
    "RU": 1.0, "HK": 1.05, "SG": 1.2,
}

# Free-trade programs a clean line may claim, by origin (SPI code on the entry line).
FTA_SPI: Final[dict[str, str]] = {
    "MX": "S", "CA": "S", "KR": "KR", "AU": "AU", "CL": "CL", "SG": "SG", "CO": "CO",
    "PE": "PE", "BH": "BH", "OM": "OM", "JO": "JO", "MA": "MA", "IL": "IL", "PA": "PA",
}

# CBP ports of entry (4-digit) by mode of transport code.
PORTS_VESSEL: Final[list[str]] = ["2704", "2709", "1001", "4601", "5301", "1601", "1703",
                                  "3002", "2811", "1303", "1401", "2002", "5201"]
PORTS_AIR: Final[list[str]] = ["2720", "3901", "3029", "5206", "5501", "4196", "1072"]
PORTS_TRUCK_MX: Final[list[str]] = ["2304", "2402", "2506"]
PORTS_TRUCK_CA: Final[list[str]] = ["3801", "0901", "0712", "3004", "3401"]
PORTS_EXPRESS: Final[list[str]] = ["4196", "4197", "1072", "2770", "5271", "4198", "2795",
                                   "3195", "1068"]

OCEAN_CARRIERS: Final[list[str]] = ["MAEU", "MSCU", "CMDU", "COSU", "EGLV", "ONEY", "HLCU",
                                    "OOLU", "YMLU", "ZIMU", "HDMU", "WHLC"]
# (IATA carrier code, three-digit air waybill prefix)
AIR_CARRIERS: Final[list[tuple[str, str]]] = [("CX", "160"), ("CK", "112"), ("FX", "023"),
                                              ("5X", "406"), ("KE", "180"), ("CI", "297"),
                                              ("BR", "695"), ("QR", "157")]
TRUCK_CARRIERS: Final[list[str]] = ["TFMX", "CELD", "SCNN", "LMXT", "TRPQ", "MXTR", "CNTR",
                                    "NFIL"]
EXPRESS_CARRIERS: Final[list[str]] = ["DHL", "FDX", "UPS", "USPS", "YUN", "CNE"]
