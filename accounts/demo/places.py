"""Real Wellington-region councils, suburbs and streets, with approximate coordinates."""

import math
import zlib

METRES_PER_DEGREE = 111_320
FRONTAGE_M = 12  # one section's width along the street
HALF_ROAD_M = 8


def house_position(*, street: str, latitude: float, longitude: float, number: int) -> tuple[float, float]:
    """Where number N on a street is: along the street from its point, odd numbers on one side.

    Every demo address gets its own coordinates, so duplicates read "12 m", not all "34 m".
    """
    bearing = math.radians(zlib.crc32(street.encode()) % 180)  # the street's direction, fixed per street
    along = (number // 2) * FRONTAGE_M
    across = HALF_ROAD_M if number % 2 else -HALF_ROAD_M
    north = along * math.cos(bearing) - across * math.sin(bearing)
    east = along * math.sin(bearing) + across * math.cos(bearing)
    return (latitude + north / METRES_PER_DEGREE,
            longitude + east / (METRES_PER_DEGREE * math.cos(math.radians(latitude))))

COUNCILS = [
    # (name, short code, {suburb: [(street, latitude, longitude), ...]})
    ("Wellington City Council", "WCC", {
        "Te Aro": [("Cuba Street", -41.2935, 174.7750), ("Courtenay Place", -41.2936, 174.7809),
                   ("Willis Street", -41.2885, 174.7745), ("Abel Smith Street", -41.2960, 174.7730)],
        "Thorndon": [("Tinakori Road", -41.2755, 174.7740), ("Molesworth Street", -41.2770, 174.7780)],
        "Kelburn": [("Upland Road", -41.2850, 174.7640), ("Glasgow Street", -41.2870, 174.7650)],
        "Mount Victoria": [("Majoribanks Street", -41.2950, 174.7850), ("Brougham Street", -41.2960, 174.7860)],
        "Newtown": [("Riddiford Street", -41.3110, 174.7790), ("Constable Street", -41.3120, 174.7820)],
        "Island Bay": [("The Parade", -41.3400, 174.7730), ("Clyde Street", -41.3370, 174.7700)],
        "Karori": [("Karori Road", -41.2850, 174.7350), ("Campbell Street", -41.2810, 174.7380)],
        "Khandallah": [("Ganges Road", -41.2450, 174.7920), ("Cashmere Avenue", -41.2470, 174.7880)],
        "Johnsonville": [("Johnsonville Road", -41.2230, 174.8050), ("Broderick Road", -41.2210, 174.8000)],
        "Miramar": [("Miramar Avenue", -41.3160, 174.8160), ("Park Road", -41.3170, 174.8130)],
        "Brooklyn": [("Brooklyn Road", -41.3040, 174.7640), ("Ohiro Road", -41.3060, 174.7620)],
        "Kilbirnie": [("Rongotai Road", -41.3170, 174.7960), ("Bay Road", -41.3160, 174.7940)],
        "Ngaio": [("Crofton Road", -41.2520, 174.7740), ("Awarua Street", -41.2510, 174.7710)],
        "Hataitai": [("Hataitai Road", -41.3040, 174.7960), ("Waipapa Road", -41.3050, 174.7930)],
        "Tawa": [("Main Road", -41.1690, 174.8270), ("Oxford Street", -41.1670, 174.8240)],
        "Seatoun": [("Forres Street", -41.3240, 174.8310), ("Ventnor Street", -41.3250, 174.8330)],
    }),
    ("Hutt City Council", "HCC", {
        "Lower Hutt Central": [("High Street", -41.2110, 174.9050), ("Queens Drive", -41.2090, 174.9080)],
        "Petone": [("Jackson Street", -41.2260, 174.8740), ("Udy Street", -41.2240, 174.8800)],
        "Eastbourne": [("Muritai Road", -41.2930, 174.8980), ("Marine Parade", -41.2900, 174.9000)],
        "Naenae": [("Naenae Road", -41.1960, 174.9510), ("Treadwell Street", -41.1980, 174.9480)],
        "Stokes Valley": [("Stokes Valley Road", -41.1760, 174.9800), ("George Street", -41.1770, 174.9820)],
        "Wainuiomata": [("Queen Street", -41.2620, 174.9460), ("Main Road", -41.2580, 174.9420)],
        "Waterloo": [("Waterloo Road", -41.2140, 174.9230), ("Cambridge Terrace", -41.2120, 174.9200)],
        "Alicetown": [("Victoria Street", -41.2160, 174.8890), ("Pretoria Street", -41.2150, 174.8910)],
        "Moera": [("Randwick Road", -41.2230, 174.8990), ("Waione Street", -41.2250, 174.8960)],
        "Avalon": [("Fairway Drive", -41.1940, 174.9330), ("Taita Drive", -41.1920, 174.9300)],
    }),
    ("Upper Hutt City Council", "UHCC", {
        "Upper Hutt Central": [("Main Street", -41.1240, 175.0700), ("Fergusson Drive", -41.1230, 175.0660)],
        "Trentham": [("Camp Street", -41.1370, 175.0390), ("Barton Avenue", -41.1390, 175.0410)],
        "Silverstream": [("Kiln Street", -41.1460, 175.0110), ("Whitemans Road", -41.1440, 175.0140)],
        "Heretaunga": [("Ward Street", -41.1450, 175.0280), ("Golders Road", -41.1470, 175.0250)],
        "Totara Park": [("Totara Park Road", -41.1170, 175.0880), ("Gibbons Street", -41.1150, 175.0900)],
        "Pinehaven": [("Pinehaven Road", -41.1580, 175.0070), ("Jocelyn Crescent", -41.1600, 175.0050)],
        "Birchville": [("Akatarawa Road", -41.0930, 175.0950), ("Bridge Road", -41.0950, 175.0920)],
    }),
    ("Porirua City Council", "PCC", {
        "Porirua Central": [("Lyttelton Avenue", -41.1350, 174.8410), ("Hagley Street", -41.1340, 174.8390)],
        "Titahi Bay": [("Titahi Bay Road", -41.1070, 174.8370), ("Main Road", -41.1050, 174.8340)],
        "Cannons Creek": [("Warspite Avenue", -41.1410, 174.8640), ("Castor Crescent", -41.1430, 174.8620)],
        "Whitby": [("Discovery Drive", -41.1100, 174.8870), ("Navigation Drive", -41.1120, 174.8900)],
        "Paremata": [("Mana Esplanade", -41.0960, 174.8680), ("Paremata Road", -41.0980, 174.8700)],
        "Plimmerton": [("Steyne Avenue", -41.0820, 174.8660), ("Sunset Parade", -41.0800, 174.8640)],
        "Aotea": [("Aotea Drive", -41.1240, 174.8480), ("Okowai Road", -41.1260, 174.8500)],
        "Pukerua Bay": [("Sea Vista Drive", -41.0330, 174.8930), ("Rawhiti Road", -41.0340, 174.8960)],
    }),
    ("South Wairarapa District Council", "SWDC", {
        "Featherston": [("Fitzherbert Street", -41.1160, 175.3260), ("Bell Street", -41.1150, 175.3280)],
        "Greytown": [("Main Street", -41.0810, 175.4590), ("West Street", -41.0820, 175.4550)],
        "Martinborough": [("Kitchener Street", -41.2180, 175.4590), ("Jellicoe Street", -41.2190, 175.4610)],
        "Pirinoa": [("Lake Ferry Road", -41.3380, 175.2040)],
    }),
]

UTILITY = "Wellington Water"
CONTRACTORS = ["Citycare", "Fulton Hogan"]

FIRST_NAMES = [
    "Aroha", "Tama", "Mere", "Wiremu", "Sione", "Mele", "Priya", "Raj", "Mei", "Wei", "Sarah", "James",
    "Olivia", "Jack", "Charlotte", "Noah", "Isla", "Liam", "Amelia", "Oliver", "Hemi", "Ngaio", "Tui", "Rangi",
    "Fatima", "Ahmed", "Grace", "Lucas", "Ruby", "Leo",
]
LAST_NAMES = [
    "Ngata", "Parata", "Walker", "Smith", "Wilson", "Brown", "Taylor", "Williams", "Tuilagi", "Faleolo", "Patel",
    "Singh", "Chen", "Li", "Thompson", "Anderson", "Harris", "Martin", "Clarke", "Te Whata", "Kereama", "Ruawai",
    "Nguyen", "Kaur", "Robinson", "Campbell", "Stewart", "Young", "King", "Moana",
]
