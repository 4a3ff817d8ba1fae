"""Word and place tables the demo draws names, titles and addresses from."""

from __future__ import annotations

from dataclasses import dataclass

from revline.crm.properties.builtins import CALL_DISPOSITIONS

# --- word lists ------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


# (first, last, role, primary team); the manager also sits in the other team.
_TEAM_OWNERS = [
    ("Nadia", "Okafor", "sales_manager", "Enterprise"),
    ("Marcus", "Lindqvist", "sales_rep", "Enterprise"),
    ("Priya", "Raman", "sales_rep", "Enterprise"),
    ("Tom", "Becker", "sales_rep", "Inbound"),
    ("Sofia", "Marin", "sales_rep", "Inbound"),
    ("Jamal", "Hughes", "sales_rep", "Inbound"),
]
_FIRST = _words(
    "James Mary Robert Linda Michael Sarah David Emma Daniel Olivia Thomas Sophie Lucas Hannah "
    "Noah Chloe Ethan Grace Liam Amelia Oliver Isla Samuel Ava Henry Mia Leo Zoe Adam Nora "
    "Felix Clara Jonas Lena Paul Julia Max Laura Hugo Camille Louis Manon Pablo Lucia Diego "
    "Elena Mateo Sara Lars Ingrid Erik Astrid Sean Aoife Conor Niamh Ravi Anika Arjun Meera "
    "Wei Mei Kenji Yuki Omar Layla Karim Amira Kwame Ama Tariq Fatima Mohammed Aisha Ivan "
    "Katya Marco Giulia Andre Beatriz Ryan Megan Kevin Rachel Jason Nicole Brian Ashley"
)
_LAST = _words(
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore "
    "Martin Jackson Thompson White Harris Clark Lewis Walker Hall Allen Young King Wright "
    "Scott Green Baker Adams Nelson Carter Mitchell Roberts Turner Phillips Campbell Parker "
    "Evans Edwards Collins Stewart Morris Murphy Cook Rogers Reed Bailey Cooper Richardson "
    "Cox Howard Ward Peterson Gray James Watson Brooks Kelly Sanders Price Bennett Wood "
    "Barnes Ross Henderson Coleman Jenkins Perry Powell Long Patterson Hughes Flores "
    "Mueller Schmidt Schneider Fischer Weber Wagner Dubois Moreau Laurent Garcia Martinez "
    "Lopez Rossi Bianchi Jansen Visser Nilsson Larsson Kowalski Novak Patel Shah Chen Wang "
    "Tanaka Sato Kim Nguyen Okonkwo Mensah"
)
_NAME_STEMS = _words(
    "Northwind Bluepeak Ironbridge Silverline Brightwater Oakhurst Redstone Clearpath "
    "Summitview Harborline Lumen Vertex Crescent Granite Juniper Maplewood Evergreen Kestrel "
    "Falconer Meridian Nimbus Orchard Pinnacle Quarry Riverside Sterling Tidewater Upland "
    "Vantage Willow Aster Beacon Cobalt Driftwood Ember Fjord Glacier Hollowell Indigo Jasper "
    "Keystone Larkspur Mosaic Novara Onyx Prairie Quill Rowan Sable Thistle Verdant Wren "
    "Yarrow Zephyr Alder Birchwood Cedar Deltaview Foxglove Greystone Highland Larch Marble "
    "Northgate Oakridge Pebble Redwood Saffron Tamarack Westbrook Ashford Bramble Copperleaf"
)
# industry: (weight, name words, revenue per employee in USD thousands)
_INDUSTRIES: dict[str, tuple[float, tuple[str, ...], tuple[int, int]]] = {
    "COMPUTER_SOFTWARE": (14, ("Software", "Labs", "Systems", "Cloud", "Analytics"), (150, 320)),
    "INFORMATION_TECHNOLOGY_AND_SERVICES": (10, ("IT", "Digital", "Solutions", "Data"), (110, 240)),
    "INTERNET": (6, ("Digital", "Online", "Media", "Web"), (180, 400)),
    "FINANCIAL_SERVICES": (7, ("Capital", "Financial", "Partners", "Wealth"), (250, 500)),
    "BANKING": (2, ("Bank", "Bancorp", "Savings"), (300, 600)),
    "INSURANCE": (3, ("Insurance", "Assurance", "Mutual"), (250, 450)),
    "HOSPITAL_HEALTH_CARE": (5, ("Health", "Care", "Clinics"), (80, 160)),
    "MEDICAL_DEVICES": (3, ("Medical", "Devices", "Diagnostics"), (200, 350)),
    "PHARMACEUTICALS": (2, ("Pharma", "Therapeutics", "Biosciences"), (300, 600)),
    "LOGISTICS_AND_SUPPLY_CHAIN": (6, ("Logistics", "Freight", "Shipping", "Supply"), (120, 250)),
    "RETAIL": (5, ("Outfitters", "Goods", "Market", "Stores"), (100, 220)),
    "CONSUMER_GOODS": (4, ("Brands", "Home", "Goods"), (180, 350)),
    "MANAGEMENT_CONSULTING": (6, ("Consulting", "Advisory", "Group"), (120, 220)),
    "MARKETING_AND_ADVERTISING": (6, ("Creative", "Media", "Marketing", "Agency"), (90, 180)),
    "CONSTRUCTION": (3, ("Construction", "Builders", "Engineering"), (150, 300)),
    "EDUCATION_MANAGEMENT": (3, ("Learning", "Academy", "Education"), (60, 120)),
    "REAL_ESTATE": (3, ("Properties", "Realty", "Estates"), (200, 450)),
    "FOOD_BEVERAGES": (3, ("Foods", "Brewing", "Kitchen"), (150, 300)),
    "TELECOMMUNICATIONS": (2, ("Telecom", "Networks", "Communications"), (250, 450)),
    "AUTOMOTIVE": (2, ("Motors", "Automotive", "Mobility"), (250, 450)),
}


@dataclass(frozen=True)
class Place:
    country: str
    city: str
    state: str
    currency: str
    tlds: tuple[str, ...]
    phone: str  # prefix; the rest is random digits, one per '#'
    zip: str  # pattern: '#' a digit, '?' a capital letter
    streets: tuple[str, ...]
    number_first: bool = True
    legal: str = ""


# fmt: off
_US_STREETS = ("Market St", "Oak Ave", "Main St", "Harbor Blvd", "Park Ave", "Elm St", "5th Ave")
_UK_STREETS = ("High Street", "Station Road", "King Street", "Mill Lane", "Church Road")
_PLACES: list[tuple[float, Place]] = [
    (9, Place("United States", "New York", "NY", "USD", (".com",), "+1 212 555 01##", "100##",
              _US_STREETS, legal="Inc.")),
    (8, Place("United States", "San Francisco", "CA", "USD", (".com", ".io", ".ai"),
              "+1 415 555 01##", "941##", _US_STREETS, legal="Inc.")),
    (7, Place("United States", "Austin", "TX", "USD", (".com", ".io"), "+1 512 555 01##",
              "787##", _US_STREETS, legal="LLC")),
    (6, Place("United States", "Chicago", "IL", "USD", (".com",), "+1 312 555 01##", "606##",
              _US_STREETS, legal="Inc.")),
    (6, Place("United States", "Boston", "MA", "USD", (".com", ".io"), "+1 617 555 01##",
              "021##", _US_STREETS, legal="Inc.")),
    (5, Place("United States", "Seattle", "WA", "USD", (".com", ".io"), "+1 206 555 01##",
              "981##", _US_STREETS, legal="Inc.")),
    (5, Place("United States", "Denver", "CO", "USD", (".com", ".co"), "+1 303 555 01##",
              "802##", _US_STREETS, legal="LLC")),
    (5, Place("United States", "Atlanta", "GA", "USD", (".com",), "+1 404 555 01##", "303##",
              _US_STREETS, legal="Inc.")),
    (4, Place("Canada", "Toronto", "ON", "USD", (".ca", ".com"), "+1 416 555 01##", "M5V #?#",
              ("King St W", "Queen St E", "Bay St"), legal="Inc.")),
    (3, Place("Canada", "Vancouver", "BC", "USD", (".ca", ".com"), "+1 604 555 01##",
              "V6B #?#", ("Granville St", "Hastings St"), legal="Ltd.")),
    (7, Place("United Kingdom", "London", "England", "GBP", (".co.uk", ".com", ".io"),
              "+44 20 7946 0###", "EC#? #??", _UK_STREETS, legal="Ltd")),
    (3, Place("United Kingdom", "Manchester", "England", "GBP", (".co.uk", ".com"),
              "+44 161 496 0###", "M# #??", _UK_STREETS, legal="Ltd")),
    (2, Place("United Kingdom", "Edinburgh", "Scotland", "GBP", (".co.uk", ".com"),
              "+44 131 496 0###", "EH# #??", _UK_STREETS, legal="Ltd")),
    (4, Place("Germany", "Berlin", "Berlin", "EUR", (".de", ".com"), "+49 30 #######", "10###",
              ("Friedrichstraße", "Torstraße", "Chausseestraße"), False, "GmbH")),
    (3, Place("Germany", "Munich", "Bavaria", "EUR", (".de",), "+49 89 #######", "80###",
              ("Leopoldstraße", "Sendlinger Straße"), False, "GmbH")),
    (2, Place("Germany", "Hamburg", "Hamburg", "EUR", (".de",), "+49 40 #######", "20###",
              ("Jungfernstieg", "Mönckebergstraße"), False, "GmbH")),
    (4, Place("France", "Paris", "Île-de-France", "EUR", (".fr", ".com"), "+33 1 ## ## ## ##",
              "750##", ("rue de Rivoli", "avenue de l'Opéra", "boulevard Voltaire"), legal="SAS")),
    (2, Place("France", "Lyon", "Auvergne-Rhône-Alpes", "EUR", (".fr",), "+33 4 ## ## ## ##",
              "6900#", ("rue de la République", "quai Saint-Antoine"), legal="SAS")),
    (4, Place("Netherlands", "Amsterdam", "North Holland", "EUR", (".nl", ".com"),
              "+31 20 ### ####", "10## ??", ("Keizersgracht", "Damrak", "Prinsengracht"),
              False, "B.V.")),
    (3, Place("Ireland", "Dublin", "Dublin", "EUR", (".ie", ".com"), "+353 1 ### ####",
              "D0# ?###", ("Grafton Street", "Baggot Street", "Dame Street"), legal="Ltd")),
    (2, Place("Spain", "Madrid", "Madrid", "EUR", (".es", ".com"), "+34 91 ### ## ##", "280##",
              ("Calle de Alcalá", "Gran Vía"), False, "S.L.")),
    (2, Place("Spain", "Barcelona", "Catalonia", "EUR", (".es", ".com"), "+34 93 ### ## ##",
              "080##", ("Passeig de Gràcia", "Carrer de Balmes"), False, "S.L.")),
    (2, Place("Sweden", "Stockholm", "Stockholm", "EUR", (".se", ".com"), "+46 8 ### ### ##",
              "111 ##", ("Drottninggatan", "Sveavägen"), False, "AB")),
    (2, Place("Australia", "Sydney", "NSW", "USD", (".com.au", ".com"), "+61 2 #### ####",
              "20##", ("George St", "Pitt St", "Kent St"), legal="Pty Ltd")),
]
_PLACE_CHOICES = [(place, weight) for weight, place in _PLACES]
# tier: (weight, employees range, new-business amount range, contacts per company, cycle days)
_Range = tuple[int, int]
_TIERS: dict[str, tuple[float, _Range, _Range, _Range, _Range]] = {
    "small": (0.42, (8, 50), (2_000, 15_000), (4, 9), (14, 45)),
    "mid": (0.33, (51, 500), (8_000, 45_000), (6, 12), (25, 75)),
    "large": (0.17, (501, 5_000), (30_000, 120_000), (8, 15), (40, 120)),
    "enterprise": (0.08, (5_001, 60_000), (80_000, 250_000), (10, 18), (60, 180)),
}
_TIER_PULL = {"small": 1.0, "mid": 1.5, "large": 2.2, "enterprise": 3.0}
_FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "proton.me")
_TITLES = {
    "senior": (
        "CEO", "Founder", "COO", "CTO", "CFO", "VP of Sales", "VP of Marketing",
        "Chief Revenue Officer", "Head of Operations", "Director of IT", "VP of Engineering",
        "Head of Revenue Operations",
    ),
    "mid": (
        "Sales Manager", "Marketing Manager", "Operations Manager", "IT Manager",
        "Product Manager", "Finance Manager", "Customer Success Manager", "Engineering Manager",
    ),
    "junior": (
        "Account Executive", "Marketing Specialist", "Business Analyst", "Software Engineer",
        "Sales Development Representative", "Operations Analyst", "Office Manager",
        "Data Analyst", "Content Marketer",
    ),
}
_SOURCES = [
    ("ORGANIC_SEARCH", 24), ("PAID_SEARCH", 12), ("EMAIL_MARKETING", 8), ("SOCIAL_MEDIA", 10),
    ("REFERRALS", 12), ("OTHER_CAMPAIGNS", 5), ("DIRECT_TRAFFIC", 14), ("OFFLINE", 10),
    ("PAID_SOCIAL", 5),
]
_MARKETING_SOURCES = {"ORGANIC_SEARCH", "EMAIL_MARKETING", "SOCIAL_MEDIA", "PAID_SOCIAL"}
_WORKED_LEADS = {"ATTEMPTED_TO_CONTACT", "UNQUALIFIED", "BAD_TIMING"}
_SALES_SOURCES = {"REFERRALS", "OFFLINE", "DIRECT_TRAFFIC"}
# Lead statuses that fit each lifecycle stage (a stage's status is drawn from its list).
_STATUSES: dict[str, list[tuple[str | None, float]]] = {
    "subscriber": [(None, 0.8), ("NEW", 0.2)],
    "lead": [("NEW", 35), ("OPEN", 20), ("ATTEMPTED_TO_CONTACT", 25), ("UNQUALIFIED", 12),
             ("BAD_TIMING", 8)],
    "marketingqualifiedlead": [("OPEN", 30), ("ATTEMPTED_TO_CONTACT", 30), ("IN_PROGRESS", 25),
                               ("CONNECTED", 15)],
    "salesqualifiedlead": [("IN_PROGRESS", 45), ("CONNECTED", 40), ("BAD_TIMING", 15)],
    "opportunity": [("OPEN_DEAL", 1)],
    "customer": [("CONNECTED", 1)],
    "evangelist": [("CONNECTED", 1)],
    "other": [("UNQUALIFIED", 6), (None, 4)],
}
_NO_DEAL_STAGES = [("subscriber", 26), ("lead", 32), ("marketingqualifiedlead", 20),
                   ("salesqualifiedlead", 15), ("other", 7)]
_LONE_STAGES = [("subscriber", 55), ("lead", 32), ("marketingqualifiedlead", 8), ("other", 5)]
_DISPOSITION = {label: value for value, label in CALL_DISPOSITIONS}
# outcome label: (weight, call status, duration range in seconds)
_CALL_OUTCOMES = {
    "Connected": (50, "COMPLETED", (180, 2400)),
    "Left voicemail": (20, "COMPLETED", (20, 70)),
    "Left live message": (7, "COMPLETED", (30, 120)),
    "No answer": (15, "NO_ANSWER", (0, 0)),
    "Busy": (5, "BUSY", (0, 0)),
    "Wrong number": (3, "COMPLETED", (5, 30)),
}
_NEW_PRODUCTS = ("Starter plan", "Growth plan", "Business plan", "Enterprise plan")
_EXPANSIONS = ("Seat expansion", "Analytics add-on", "Premium support", "New team rollout",
               "Upgrade to Enterprise", "Renewal and upsell")
_LOSS_REASONS = ("went with a competitor", "no budget this year", "project shelved",
                 "chose to build in-house", "champion left the company", "price too high")
_CALL_TITLES = ("Discovery call with {first}", "Follow-up call", "Pricing questions",
                "Check-in with {first}", "Intro call", "Call about next steps")
_CALL_NOTES = ("Walked through current process; spreadsheets and a legacy CRM.",
               "{first} wants a proposal for {seats} seats.", "Asked about SSO and data export.",
               "Timeline is end of quarter; budget owner is the CFO.",
               "Left a message, will try again Thursday.", "Discussed onboarding plan.")
_EMAIL_OUT = ("Following up on our call", "Proposal for {company}", "Next steps",
              "Pricing for {seats} seats", "Case study you asked about", "Quick question")
_EMAIL_IN = ("Re: Proposal for {company}", "Re: Next steps", "Question about the contract",
             "Re: Quick question", "Security questionnaire")
_MEETING_TITLES = {"discovery": "Discovery meeting: {company}",
                   "demo": "Product demo for {company}", "intro": "Intro meeting with {first}"}
_TASKS = (("Send proposal to {first}", "EMAIL"), ("Call {first} about next steps", "CALL"),
          ("Prepare demo for {company}", "TODO"), ("Follow up on contract", "EMAIL"),
          ("Update close plan", "TODO"), ("Reconnect with {first} next quarter", "CALL"))

# fmt: on
