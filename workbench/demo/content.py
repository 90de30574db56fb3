"""The words of the demo collaborative: facilities, people, indicators, the change package.

Pure data, no randomness: `workbench.demo` draws from these with a seeded numpy Generator.
The setting is an essential obstetric and newborn care (EONC) collaborative in south-western
Uganda, after the AMTSL example of the improvement-collaborative guide.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "DISTRICTS",
    "FACILITIES",
    "WAVE2_FACILITIES",
    "SPREAD_DISTRICT",
    "SPREAD_COACH",
    "SPREAD_FACILITIES",
    "FACILITATOR",
    "FIRST_NAMES",
    "SURNAMES",
    "INDICATORS",
    "AIMS",
    "LEARNING_SESSIONS",
    "CHANGE_PACKAGE",
    "TEAM_INNOVATIONS",
    "CYCLE_SCALES",
    "VISIT_OBSERVATIONS",
    "VISIT_ACTIONS",
    "ROLES",
    "MORE_DISTRICTS",
    "PLACES",
    "LEVEL_NAMES",
    "EXTRA_INDICATORS",
    "TRANSLATIONS",
]

#: district -> coach (faculty) who visits its teams
DISTRICTS: dict[str, str] = {
    "Kabale": "Agnes Mugisha",
    "Kisoro": "Joseph Habimana",
    "Rukungiri": "Ruth Tumusiime",
}

#: (facility, district, level) in team order T01..T24; level sets the birth volume
FACILITIES: list[tuple[str, str, str]] = [
    ("Kabale Regional Referral Hospital", "Kabale", "hospital"),
    ("Rugarama Hospital", "Kabale", "hospital"),
    ("Hamurwa Health Centre IV", "Kabale", "hc4"),
    ("Maziba Health Centre IV", "Kabale", "hc4"),
    ("Kamukira Health Centre IV", "Kabale", "hc4"),
    ("Muhanga Health Centre III", "Kabale", "hc3"),
    ("Kamuganguzi Health Centre III", "Kabale", "hc3"),
    ("Rwamucucu Health Centre III", "Kabale", "hc3"),
    ("Kisoro District Hospital", "Kisoro", "hospital"),
    ("Mutolere Hospital", "Kisoro", "hospital"),
    ("Busanza Health Centre IV", "Kisoro", "hc4"),
    ("Rubuguri Health Centre IV", "Kisoro", "hc4"),
    ("Nyarusiza Health Centre III", "Kisoro", "hc3"),
    ("Chahi Health Centre III", "Kisoro", "hc3"),
    ("Nyakabande Health Centre III", "Kisoro", "hc3"),
    ("Muramba Health Centre III", "Kisoro", "hc3"),
    ("Nyakibale Hospital", "Rukungiri", "hospital"),
    ("Bugangari Health Centre IV", "Rukungiri", "hc4"),
    ("Rukungiri Health Centre IV", "Rukungiri", "hc4"),
    ("Kebisoni Health Centre IV", "Rukungiri", "hc4"),
    ("Buhunga Health Centre III", "Rukungiri", "hc3"),
    ("Nyarushanje Health Centre III", "Rukungiri", "hc3"),
    ("Kagashe Health Centre III", "Rukungiri", "hc3"),
    ("Bwambara Health Centre III", "Rukungiri", "hc3"),
]

#: team indexes (0-based) of the 8 wave-2 teams: 3 + 3 + 2 per district
WAVE2_FACILITIES: tuple[int, ...] = (4, 6, 7, 13, 14, 15, 21, 23)

#: the spread wave (W3) of the default demo: 24 more maternity units in a fourth district,
#: joining with the change package the synthesis meeting refined (v2)
SPREAD_DISTRICT = "Kanungu"
SPREAD_COACH = "Esther Kansiime"
SPREAD_FACILITIES: list[tuple[str, str]] = [
    ("Kambuga Hospital", "hospital"),
    ("Bwindi Community Hospital", "hospital"),
    ("Kihihi Health Centre IV", "hc4"),
    ("Kanungu Health Centre IV", "hc4"),
    ("Rugyeyo Health Centre IV", "hc4"),
    ("Butogota Health Centre IV", "hc4"),
    ("Kinkizi Health Centre IV", "hc4"),
    ("Kayonza Health Centre III", "hc3"),
    ("Nyamirama Health Centre III", "hc3"),
    ("Rutenga Health Centre III", "hc3"),
    ("Mpungu Health Centre III", "hc3"),
    ("Kirima Health Centre III", "hc3"),
    ("Kanyantorogo Health Centre III", "hc3"),
    ("Nyanga Health Centre III", "hc3"),
    ("Katete Health Centre III", "hc3"),
    ("Kanyabwanga Health Centre III", "hc3"),
    ("Matanda Health Centre III", "hc3"),
    ("Rwenshama Health Centre III", "hc3"),
    ("Kihanda Health Centre III", "hc3"),
    ("Mashaku Health Centre III", "hc3"),
    ("Karubeizi Health Centre III", "hc3"),
    ("Nyakatare Health Centre III", "hc3"),
    ("Rwentobo Health Centre III", "hc3"),
    ("Ntungwa Health Centre III", "hc3"),
]

#: who leads the synthesis meeting and records the refined change package (v2)
FACILITATOR = "Immaculate Ahimbisibwe"

FIRST_NAMES = [
    "Grace", "Moses", "Patience", "Brian", "Esther", "Denis", "Florence", "Ivan", "Juliet",
    "Robert", "Sarah", "Emmanuel", "Prossy", "Charles", "Doreen", "Fred", "Annet", "Julius",
    "Immaculate", "Godfrey", "Winnie", "Samuel", "Harriet", "Isaac", "Rose", "Edson",
]
SURNAMES = [
    "Ainembabazi", "Tumwesigye", "Byaruhanga", "Natukunda", "Kyomuhendo", "Twinomujuni",
    "Asiimwe", "Niwagaba", "Ahimbisibwe", "Turyasingura", "Kansiime", "Nsengiyumva",
    "Uwimana", "Tusiime", "Arinaitwe", "Mbabazi", "Katusiime", "Bainomugisha", "Kamugisha",
    "Nuwagaba",
]

ROLES = ["Midwife in-charge", "Data officer", "Store keeper", "Facility in-charge",
         "QI team leader", "Clinical officer"]

#: (code, name, type, numerator, denominator, target, direction); all proportions
INDICATORS: list[dict[str, Any]] = [
    {"code": "AMTSL", "name": "Births receiving AMTSL", "type": "process",
     "numerator": "Vaginal births with uterotonic within 1 minute, controlled cord traction "
                  "and uterine massage",
     "denominator": "Vaginal births in the facility", "target": 0.90, "direction": "increase"},
    {"code": "PARTOGRAPH", "name": "Labours monitored with a complete partograph",
     "type": "process",
     "numerator": "Women delivered whose labour was plotted on a partograph to the standard",
     "denominator": "Women delivered in the facility", "target": 0.90,
     "direction": "increase"},
    {"code": "NEWBORN_CARE", "name": "Newborns receiving immediate newborn care",
     "type": "process",
     "numerator": "Live births dried, skin-to-skin, cord care and breastfed within 1 hour",
     "denominator": "Live births in the facility", "target": 0.90, "direction": "increase"},
    {"code": "PPH", "name": "Postpartum haemorrhage", "type": "outcome",
     "numerator": "Women with blood loss of 500 ml or more within 24 hours of birth",
     "denominator": "Vaginal births in the facility", "target": 0.03,
     "direction": "decrease"},
    {"code": "ASPHYXIA", "name": "Newborns with birth asphyxia", "type": "outcome",
     "numerator": "Live births not breathing or gasping at 1 minute",
     "denominator": "Live births in the facility", "target": 0.03, "direction": "decrease"},
    {"code": "OXY_STOCK", "name": "Days oxytocin in stock", "type": "input",
     "numerator": "Days in the month with oxytocin available in the labour ward",
     "denominator": "Days in the month", "target": 0.95, "direction": "increase"},
]

AIMS: list[dict[str, Any]] = [
    {"aim": "90% of vaginal births receive all three components of AMTSL",
     "indicator_id": "AMTSL", "target": 0.90, "by": "2026-10"},
    {"aim": "90% of labours monitored with a complete partograph",
     "indicator_id": "PARTOGRAPH", "target": 0.90, "by": "2026-10"},
    {"aim": "90% of newborns receive immediate newborn care",
     "indicator_id": "NEWBORN_CARE", "target": 0.90, "by": "2026-10"},
    {"aim": "Postpartum haemorrhage in 3% of vaginal births or fewer",
     "indicator_id": "PPH", "target": 0.03, "by": "2026-10"},
    {"aim": "Birth asphyxia in 3% of live births or fewer",
     "indicator_id": "ASPHYXIA", "target": 0.03, "by": "2026-10"},
    {"aim": "Oxytocin in stock on 95% of days", "indicator_id": "OXY_STOCK", "target": 0.95,
     "by": "2026-10"},
]

LEARNING_SESSIONS: list[dict[str, Any]] = [
    {"name": "Learning session 1", "date": "2024-11-12", "wave_id": "W1"},
    {"name": "Learning session 2", "date": "2025-05-14", "wave_id": "W1"},
    {"name": "Wave 2 launch (learning session 1)", "date": "2025-08-06", "wave_id": "W2"},
    {"name": "Learning session 3", "date": "2025-11-12", "wave_id": None},
    {"name": "Learning session 4", "date": "2026-05-13", "wave_id": None},
]

#: The implementation (change) package. `effect` is the logit shift an adopted change gives
#: its linked indicators; the texts fill the PDSA worksheets.
CHANGE_PACKAGE: list[dict[str, Any]] = [
    {"code": "C01", "name": "Oxytocin drawn up before the birth",
     "driver": "Uterotonic within one minute of birth", "indicators": ["AMTSL", "PPH"],
     "effect": {"AMTSL": 0.9},
     "description": "The attending midwife draws up 10 IU oxytocin when the woman is fully "
                    "dilated, so the injection is ready at the birth.",
     "question": "Will oxytocin be given within one minute when it is drawn up in advance?",
     "prediction": "At least 8 of 10 births get oxytocin within one minute",
     "measure": "births with oxytocin within 1 minute (labour ward register)"},
    {"code": "C02", "name": "Uterotonic in every delivery kit",
     "driver": "Uterotonic within one minute of birth", "indicators": ["AMTSL", "PPH"],
     "effect": {"AMTSL": 0.7},
     "description": "Each sterilised delivery pack gets a syringe, needle and oxytocin "
                    "ampoule from the fridge when it is opened.",
     "question": "Is the uterotonic in the kit at every birth?",
     "prediction": "9 of 10 kits opened have the uterotonic inside",
     "measure": "kits checked with uterotonic inside (tally sheet)"},
    {"code": "C03", "name": "AMTSL wall chart at the delivery bed",
     "driver": "Providers know and follow the AMTSL standard", "indicators": ["AMTSL"],
     "effect": {"AMTSL": 0.4},
     "description": "A laminated job aid of the three AMTSL steps on the wall beside each "
                    "delivery bed.",
     "question": "Do midwives do all three steps when the chart is in view?",
     "prediction": "All three steps documented in 7 of 10 births",
     "measure": "births with all three AMTSL steps documented"},
    {"code": "C04", "name": "Partograph opened at admission in active labour",
     "driver": "Labour monitored to the standard", "indicators": ["PARTOGRAPH", "ASPHYXIA"],
     "effect": {"PARTOGRAPH": 0.8},
     "description": "The admitting midwife starts the partograph at 4 cm and clips it to the "
                    "bed file.",
     "question": "Is a partograph started for every woman admitted in active labour?",
     "prediction": "8 of 10 admissions have a partograph started within 30 minutes",
     "measure": "admissions with a partograph started (file review)"},
    {"code": "C05", "name": "Partograph review at shift handover",
     "driver": "Labour monitored to the standard", "indicators": ["PARTOGRAPH", "ASPHYXIA"],
     "effect": {"PARTOGRAPH": 0.7},
     "description": "Outgoing and incoming midwives review every open partograph together "
                    "at handover.",
     "question": "Are gaps in plotting found and fixed at handover?",
     "prediction": "Fewer than 2 of 10 partographs have gaps over 1 hour",
     "measure": "partographs complete to the standard at birth"},
    {"code": "C06", "name": "Drying and skin-to-skin checklist",
     "driver": "Every newborn gets immediate newborn care",
     "indicators": ["NEWBORN_CARE", "ASPHYXIA"], "effect": {"NEWBORN_CARE": 0.9},
     "description": "A one-page checklist (dry, skin-to-skin, delayed cord clamping, "
                    "breastfeeding in the first hour) ticked at every birth.",
     "question": "Does the checklist get every element done?",
     "prediction": "8 of 10 newborns get all four elements",
     "measure": "newborns with all four elements ticked"},
    {"code": "C07", "name": "Resuscitation corner ready every shift",
     "driver": "Every newborn gets immediate newborn care",
     "indicators": ["NEWBORN_CARE", "ASPHYXIA"], "effect": {"NEWBORN_CARE": 0.4},
     "description": "Bag and mask, suction and a warm towel checked at the start of every "
                    "shift and signed for.",
     "question": "Is the corner ready at the start of every shift?",
     "prediction": "Ready on 13 of 14 shifts in a week",
     "measure": "shifts with the corner checked and signed"},
    {"code": "C08", "name": "Weekly stock card check of oxytocin",
     "driver": "Uterotonics always available", "indicators": ["OXY_STOCK", "AMTSL"],
     "effect": {"OXY_STOCK": 1.0, "AMTSL": 0.2},
     "description": "Every Monday the store keeper and midwife in-charge reconcile the "
                    "oxytocin stock card and order when below 2 weeks of use.",
     "question": "Is an order placed before stock falls below 2 weeks?",
     "prediction": "No day without oxytocin in the month",
     "measure": "days with oxytocin in the labour ward"},
    {"code": "C09", "name": "Oxytocin kept cold with a temperature log",
     "driver": "Uterotonics always available", "indicators": ["OXY_STOCK"],
     "effect": {"OXY_STOCK": 0.5},
     "description": "Oxytocin stored in the labour ward fridge; temperature logged twice a "
                    "day, spoiled stock replaced.",
     "question": "Is the fridge between 2 and 8 °C at every reading?",
     "prediction": "At least 55 of 60 readings in range",
     "measure": "temperature readings in range"},
    {"code": "C10", "name": "Daily register review by the in-charge",
     "driver": "Data used to manage care", "indicators": ["AMTSL", "PARTOGRAPH",
                                                          "NEWBORN_CARE"],
     "effect": {"AMTSL": 0.3, "PARTOGRAPH": 0.3, "NEWBORN_CARE": 0.3},
     "description": "Each morning the midwife in-charge reviews yesterday's births in the "
                    "register and gives feedback at the morning meeting.",
     "question": "Does daily feedback happen every weekday?",
     "prediction": "Feedback given on 4 of 5 weekdays",
     "measure": "weekdays with register review done"},
]

#: (team index 0-based, change) — ideas that started in one team; they ramp only there
TEAM_INNOVATIONS: list[tuple[int, dict[str, Any]]] = [
    (0, {"code": "T01-I1", "name": "Labour ward WhatsApp group for stock alerts",
         "driver": "Uterotonics always available", "indicators": ["OXY_STOCK"],
         "effect": {"OXY_STOCK": 0.4},
         "description": "The store keeper posts the oxytocin balance every Friday; the "
                        "in-charge orders when it falls below 2 weeks.",
         "question": "Do alerts reach the in-charge before a stock-out?",
         "prediction": "No stock-out in the test month",
         "measure": "weeks with the balance posted"}),
    (9, {"code": "T10-I1", "name": "Birth companion reminds the midwife of skin-to-skin",
         "driver": "Every newborn gets immediate newborn care",
         "indicators": ["NEWBORN_CARE"], "effect": {"NEWBORN_CARE": 0.5},
         "description": "Birth companions are told at admission to ask for the baby on the "
                        "mother's chest.",
         "question": "Do companions prompt skin-to-skin?",
         "prediction": "7 of 10 companions prompt it",
         "measure": "births where the companion prompted skin-to-skin"}),
]

#: The scale of cycle 1..4 in a ramp: who, how long
CYCLE_SCALES = [
    ("one midwife on the day shift", "3 days", 10),
    ("all midwives on the day shift", "1 week", 20),
    ("all shifts", "2 weeks", 40),
    ("all shifts, weekends included", "1 month", 80),
]

VISIT_OBSERVATIONS = [
    "Run charts on the labour ward wall are up to date.",
    "Run charts not updated since the last visit; discussed who plots them.",
    "Team meets weekly; minutes kept in the QI file.",
    "Team did not meet this month because of staff leave.",
    "Labour ward register complete for the month reviewed.",
    "Some register pages missing AMTSL columns; reminded midwives.",
    "Oxytocin found in the fridge; stock card balanced.",
    "Oxytocin stock card not balanced against the physical count.",
    "Partographs in the files reviewed with the team; plotting has improved.",
    "New midwives not yet oriented on the change package.",
    "Facility in-charge attended the team meeting and supports the changes.",
    "Resuscitation bag found without a mask size 0; ordered from the district store.",
]

VISIT_ACTIONS = [
    ("Update the run charts for all six indicators", "Data officer"),
    ("Orient new midwives on AMTSL and the partograph", "Midwife in-charge"),
    ("Reconcile the oxytocin stock card weekly", "Store keeper"),
    ("Plan the next PDSA cycle and bring the worksheet to the team meeting", "QI team leader"),
    ("Check monthly report numbers against the register before submission",
     "Data officer"),
    ("Order mask size 0 and suction bulb", "Facility in-charge"),
    ("Present results at the next facility staff meeting", "QI team leader"),
    ("Fill the register's AMTSL columns at every birth", "Midwife in-charge"),
]

# --------------------------------------------------------------------------- larger demos
# `workbench demo --teams N --indicators K --districts D` beyond the 24 teams, 6 indicators and
# 3 districts above draws its names from these lists (the first entries are the ones above).

#: districts of south-western and western Uganda; past the list, "District 021", …
MORE_DISTRICTS = [
    "Kabale", "Kisoro", "Rukungiri", "Kanungu", "Ntungamo", "Rubanda", "Rukiga", "Bushenyi",
    "Mbarara", "Ibanda", "Isingiro", "Kiruhura", "Sheema", "Mitooma", "Rubirizi", "Buhweju",
    "Kasese", "Bundibugyo", "Kabarole", "Kyenjojo",
]

#: place names that make the facility names of a larger demo ("Hamurwa 3 Health Centre IV")
PLACES = [
    "Kabale", "Rugarama", "Hamurwa", "Maziba", "Kamukira", "Muhanga", "Kamuganguzi",
    "Rwamucucu", "Kisoro", "Mutolere", "Busanza", "Rubuguri", "Nyarusiza", "Chahi",
    "Nyakabande", "Muramba", "Nyakibale", "Bugangari", "Rukungiri", "Kebisoni", "Buhunga",
    "Nyarushanje", "Kagashe", "Bwambara", "Kihihi", "Kambuga", "Rwerere", "Kitumba", "Ikumba",
    "Bubare", "Kashambya", "Ruhija", "Mpungu", "Kayonza", "Nyamirama", "Rwesasi", "Bukinda",
    "Kamwezi", "Kaharo", "Buhara", "Nyamweru", "Bufundi", "Kashenyi", "Ndorwa", "Kyanamira",
]

LEVEL_NAMES = {"hospital": "Hospital", "hc4": "Health Centre IV", "hc3": "Health Centre III"}

#: indicators 7, 8, … of a larger demo: process indicators of maternal and newborn care that
#: improve with the team's QI capability (each adopted change lifts them a little). `births`
#: names the denominator: all births, vaginal births or live births.
EXTRA_INDICATORS: list[dict[str, Any]] = [
    {"code": "EARLY_BF", "name": "Newborns breastfed within one hour",
     "numerator": "Live births put to the breast within one hour", "births": "live",
     "baseline": (0.40, 0.70)},
    {"code": "PNC_48H", "name": "Mothers checked within 48 hours of birth",
     "numerator": "Women given a postnatal check within 48 hours", "births": "all",
     "baseline": (0.30, 0.60)},
    {"code": "VITAMIN_K", "name": "Newborns given vitamin K",
     "numerator": "Live births given vitamin K at birth", "births": "live",
     "baseline": (0.45, 0.75)},
    {"code": "BP_CHECK", "name": "Women with blood pressure taken in labour",
     "numerator": "Women delivered with blood pressure recorded on admission", "births": "all",
     "baseline": (0.35, 0.65)},
    {"code": "COMPANION", "name": "Births with a companion of choice",
     "numerator": "Women with a companion of their choice at the birth", "births": "all",
     "baseline": (0.20, 0.50)},
    {"code": "CORD_CARE", "name": "Newborns given chlorhexidine cord care",
     "numerator": "Live births given chlorhexidine on the cord stump", "births": "live",
     "baseline": (0.35, 0.65)},
    {"code": "UTERINE_CHECK", "name": "Uterine tone checked after the birth",
     "numerator": "Vaginal births with uterine tone checked every 15 minutes for 2 hours",
     "births": "vaginal", "baseline": (0.25, 0.55)},
    {"code": "TEMP_CHECK", "name": "Newborns with temperature taken",
     "numerator": "Live births with temperature recorded within one hour", "births": "live",
     "baseline": (0.25, 0.55)},
    {"code": "HAND_HYGIENE", "name": "Births attended with hand hygiene",
     "numerator": "Births where the attendant washed hands before examination", "births": "all",
     "baseline": (0.45, 0.75)},
    {"code": "BIRTH_WEIGHT", "name": "Newborns weighed",
     "numerator": "Live births weighed and the weight recorded", "births": "live",
     "baseline": (0.55, 0.85)},
    {"code": "FP_COUNSEL", "name": "Mothers counselled on family planning",
     "numerator": "Women counselled on postpartum family planning before discharge",
     "births": "all", "baseline": (0.20, 0.50)},
    {"code": "HIV_TEST", "name": "Mothers of unknown status tested for HIV",
     "numerator": "Women delivered with an HIV test result recorded", "births": "all",
     "baseline": (0.50, 0.80)},
    {"code": "DISCHARGE_24H", "name": "Mothers kept 24 hours after birth",
     "numerator": "Women discharged 24 hours or more after a vaginal birth",
     "births": "vaginal", "baseline": (0.30, 0.60)},
    {"code": "REFERRAL_NOTE", "name": "Referrals with a referral note",
     "numerator": "Births referred out with a completed referral note", "births": "all",
     "baseline": (0.40, 0.70)},
]

#: The demo's content in French (`workbench demo --lang fr`): written to the collaborative's
#: `settings.translations`, the shape `workbench.ingest.collaborative` gives a YAML definition
#: with `name: {en: …, fr: …}`; read back by `workbench.store` in the reader's language.
TRANSLATIONS: dict[str, dict[str, dict[str, dict[str, str]]]] = {
    "indicators": {
        "AMTSL": {
            "name": {"fr": "Naissances avec GATPA"},
            "numerator_definition": {"fr": "Accouchements par voie basse avec utérotonique dans "
                                           "la minute, traction contrôlée du cordon et massage "
                                           "utérin"},
            "denominator_definition": {"fr": "Accouchements par voie basse dans "
                                             "l'établissement"}},
        "PARTOGRAPH": {
            "name": {"fr": "Travails suivis avec un partogramme complet"},
            "numerator_definition": {"fr": "Femmes accouchées dont le travail a été reporté sur "
                                           "un partogramme selon la norme"},
            "denominator_definition": {"fr": "Femmes accouchées dans l'établissement"}},
        "NEWBORN_CARE": {
            "name": {"fr": "Nouveau-nés recevant les soins immédiats"},
            "numerator_definition": {"fr": "Naissances vivantes séchées, en peau à peau, avec "
                                           "soins du cordon et allaitées dans l'heure"},
            "denominator_definition": {"fr": "Naissances vivantes dans l'établissement"}},
        "PPH": {
            "name": {"fr": "Hémorragie du post-partum"},
            "numerator_definition": {"fr": "Femmes ayant perdu 500 ml de sang ou plus dans les "
                                           "24 heures suivant la naissance"},
            "denominator_definition": {"fr": "Accouchements par voie basse dans "
                                             "l'établissement"}},
        "ASPHYXIA": {
            "name": {"fr": "Nouveau-nés avec asphyxie à la naissance"},
            "numerator_definition": {"fr": "Naissances vivantes ne respirant pas ou en gasp à "
                                           "1 minute"},
            "denominator_definition": {"fr": "Naissances vivantes dans l'établissement"}},
        "OXY_STOCK": {
            "name": {"fr": "Jours avec ocytocine en stock"},
            "numerator_definition": {"fr": "Jours du mois avec de l'ocytocine disponible en "
                                           "salle de travail"},
            "denominator_definition": {"fr": "Jours du mois"}},
    },
    "change_ideas": {
        "C01": {"name": {"fr": "Ocytocine préparée avant la naissance"},
                "driver": {"fr": "Utérotonique dans la minute suivant la naissance"}},
        "C02": {"name": {"fr": "Utérotonique dans chaque kit d'accouchement"},
                "driver": {"fr": "Utérotonique dans la minute suivant la naissance"}},
        "C03": {"name": {"fr": "Affiche GATPA au lit d'accouchement"},
                "driver": {"fr": "Les soignants connaissent et suivent la norme GATPA"}},
        "C04": {"name": {"fr": "Partogramme ouvert à l'admission en phase active"},
                "driver": {"fr": "Travail surveillé selon la norme"}},
        "C05": {"name": {"fr": "Revue des partogrammes à la relève"},
                "driver": {"fr": "Travail surveillé selon la norme"}},
        "C06": {"name": {"fr": "Liste de contrôle séchage et peau à peau"},
                "driver": {"fr": "Chaque nouveau-né reçoit les soins immédiats"}},
        "C07": {"name": {"fr": "Coin de réanimation prêt à chaque garde"},
                "driver": {"fr": "Chaque nouveau-né reçoit les soins immédiats"}},
        "C08": {"name": {"fr": "Contrôle hebdomadaire de la fiche de stock d'ocytocine"},
                "driver": {"fr": "Utérotoniques toujours disponibles"}},
        "C09": {"name": {"fr": "Ocytocine conservée au froid avec relevé de température"},
                "driver": {"fr": "Utérotoniques toujours disponibles"}},
        "C10": {"name": {"fr": "Revue quotidienne du registre par la responsable"}},
        "T01-I1": {"name": {"fr": "Groupe WhatsApp de la maternité pour les alertes de "
                                  "stock"},
                   "driver": {"fr": "Utérotoniques toujours disponibles"}},
        "T10-I1": {"name": {"fr": "L'accompagnant rappelle le peau à peau à la sage-femme"},
                   "driver": {"fr": "Chaque nouveau-né reçoit les soins immédiats"}},
    },
}
