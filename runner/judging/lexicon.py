"""Word lists for the meaning guards: English, German, French and Spanish.

Small and hand-written on purpose: the guards must be predictable, and a reader
must be able to see why a word counted. Words are compared case-folded, with
typographic apostrophes turned into ``'``.
"""

from __future__ import annotations

import re


def _split(text: str) -> list[str]:
    """Words of a word list written as a paragraph."""
    return text.split()


LANGUAGES = ("en", "de", "fr", "es")

# Frequent function words: they carry no topic, and they tell the languages apart.
STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(_split("""a an the and or but so if as at by for from in into of on onto to
        with via per
        about after before over under than then that this these those there here it its it's
        i i'm i've i'll i'd me my we we're we've we'll us our you you're you've you'll your
        yours he she they them their his her is are was were be been being am do does did
        have has had will would shall should can could may might must just also please
        yes now up all any some what which who when where how very too let's what's that's
        there's here's they're they've you'd we'd i'd he's she's
        sure great thanks thank hi hello ok okay sorry""")),
    "de": frozenset(_split("""der die das den dem des ein eine einen einem einer und oder aber
        wenn als auf aus bei bis durch für gegen in im ins mit nach von vor zu zum zur
        ich mich mir wir uns unser unsere sie ihr ihre ihnen ihren er es ist sind war
        waren wird werden wurde wurden sein hat haben hatte kann können könnten muss
        müssen soll sollen bitte ja dass auch noch schon nur so""")),
    "fr": frozenset(_split("""le la les l' un une des du de d' et ou mais si que qui quoi dans
        sur sous par pour avec sans en au aux ce cet cette ces je j' me m' moi nous vous
        votre vos notre nos il elle ils elles est sont été être a ai avons avez ont
        peut pouvez pouvons s'il plaît oui très""")),
    "es": frozenset(_split("""el la los las un una unos unas y o pero si que quien en de del al
        con por para sobre sin su sus mi mis yo me nos nosotros usted ustedes le les lo
        es son fue ser está están ha han he hemos puede pueden por favor sí muy ya""")),
}

# Written-out numbers. "one" and its kin are left out: mostly pronouns or articles
# ("one of my colleagues", "ein Paket"), they would make facts out of nothing.
NUMBER_WORDS: dict[str, dict[str, int]] = {
    "en": {w: i for i, w in enumerate(
        _split("zero _ two three four five six seven eight nine ten eleven twelve thirteen "
               "fourteen fifteen sixteen seventeen eighteen nineteen twenty")) if w != "_"}
    | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
       "ninety": 90, "hundred": 100, "dozen": 12},
    "de": {w: i for i, w in enumerate(
        _split("null _ zwei drei vier fünf sechs sieben acht neun zehn elf zwölf"))
        if w != "_"} | {"zwanzig": 20, "dreißig": 30, "hundert": 100},
    "fr": {w: i for i, w in enumerate(
        _split("zéro _ deux trois quatre cinq six sept huit neuf dix onze douze"))
        if w != "_"} | {"quinze": 15, "vingt": 20, "trente": 30, "cent": 100},
    "es": {w: i for i, w in enumerate(
        _split("cero _ dos tres cuatro cinco seis siete ocho nueve diez once doce"))
        if w != "_"} | {"quince": 15, "veinte": 20, "treinta": 30, "cien": 100},
}

MONTHS: dict[str, int] = {}
for _names in (
    "january february march april may june july august september october november december",
    "januar februar märz april mai juni juli august september oktober november dezember",
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
):
    for _number, _name in enumerate(_split(_names), start=1):
        MONTHS[_name] = _number
# Only next to a day number ("Mar 3"): alone, "mar" is Spanish for sea.
MONTH_ABBREVIATIONS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
                       "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12}
# Words that are months only when capitalised: "May" but "you may".
CAPITALISED_MONTHS = frozenset({"may"})

WEEKDAYS: dict[str, int] = {}
for _names in (
    "monday tuesday wednesday thursday friday saturday sunday",
    "montag dienstag mittwoch donnerstag freitag samstag sonntag",
    "lundi mardi mercredi jeudi vendredi samedi dimanche",
    "lunes martes miércoles jueves viernes sábado domingo",
):
    for _number, _name in enumerate(_split(_names)):
        WEEKDAYS[_name] = _number

# Days named relative to today, as an offset in days ("tonight" is today), per language:
# German "hier" is "here", French "hier" is "yesterday".
RELATIVE_DAYS: dict[str, dict[str, int]] = {
    "en": {"today": 0, "tonight": 0, "tomorrow": 1, "yesterday": -1},
    "de": {"heute": 0, "morgen": 1, "gestern": -1, "übermorgen": 2},
    "fr": {"aujourd'hui": 0, "demain": 1, "hier": -1},
    "es": {"hoy": 0, "mañana": 1, "ayer": -1},
}
# German nouns are capitalised: "Morgen" is the morning, "morgen" tomorrow.
LOWERCASE_ONLY_DAYS = frozenset({"morgen"})

CURRENCIES: dict[str, str] = {
    "$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "us$": "USD",
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "£": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP",
    "chf": "CHF", "franken": "CHF", "¥": "JPY", "yen": "JPY", "jpy": "JPY",
}

PERCENT_WORDS = frozenset({"%", "percent", "per cent", "prozent", "pour cent", "por ciento"})

# Negation cues (case-folded words). A clause with one of them says "not ...".
# English also: any word ending in n't. French also: any word starting with n'.
NEGATION_WORDS = frozenset(_split("""
    not no never nobody nothing none neither nor nowhere cannot unable without
    unfortunately sadly regrettably afraid impossible unavailable ineligible invalid
    unsuccessful declined denied rejected refused failed expired
    cant dont doesnt didnt isnt wasnt arent werent couldnt wouldnt shouldnt havent hasnt
    nicht kein keine keinen keinem keiner keines nie niemals nichts niemand nirgends ohne
    leider nein unmöglich
    ne pas jamais rien aucun aucune sans non malheureusement
    nunca jamás nada nadie ningún ninguna ninguno tampoco lamentablemente
    desafortunadamente imposible
"""))
NEGATION_PHRASES = ("out of stock", "sold out", "no longer", "nicht mehr", "ne plus",
                    "ya no", "no más")

# Idioms that contain a cue but do not negate what the sentence says; removed before
# cues are looked for. ("No problem, I've added it" agrees with "Sure, I've added it".)
NEUTRAL_IDIOMS = re.compile(r"""
    \bno\s+(?:problem|worries|rush|doubt)s?\b
  | \bnot\s+(?:a\s+problem|only)\b
  | \b(?:don't|do\s+not|never)\s+hesitate\b
  | \b(?:at\s+)?no\s+(?:extra\s+|additional\s+|hidden\s+)?(?:cost|charge|fee)s?\b
  | \bwithout\s+(?:any\s+)?(?:extra\s+|additional\s+)?(?:cost|charge|fee)s?\b
  | \bno\s+matter\b | \bno\s+later\s+than\b | \bwhether\s+or\s+not\b | \bno\.\s*\d
  | \bkein\s+problem\b | \bnicht\s+nur\b | \bohne\s+(?:zusätzliche\s+)?(?:kosten|gebühr)\w*
  | \bpas\s+de\s+(?:problème|souci)\b | \bn'hésitez\s+pas\b | \bnon\s+seulement\b
  | \bsans\s+frais\b
  | \bno\s+hay\s+problema\b | \bno\s+dude\s+en\b | \bno\s+solo\b | \bsin\s+(?:costo|cargo)\b
""", re.VERBOSE)


# Details a customer gives or is told, one group per detail, each with its usual names.
# One never stands for another, however alike a model finds them ("email address" and
# "phone number" score 0.47): the substitution guard fails such a swap outright.
# Written as people write them; the guard compares their content words.
DETAILS: tuple[tuple[str, ...], ...] = (
    ("email", "email address", "e-mail", "e-mail address", "mail address", "E-Mail-Adresse",
     "adresse e-mail", "adresse mail", "courriel", "correo", "correo electrónico"),
    ("phone", "phone number", "telephone", "telephone number", "mobile", "mobile number",
     "cell phone", "cell phone number", "Telefonnummer", "Handynummer", "Rufnummer",
     "numéro de téléphone", "téléphone", "número de teléfono", "teléfono"),
    ("postcode", "post code", "postal code", "zip", "zip code", "Postleitzahl", "PLZ",
     "code postal", "código postal"),
    ("password", "passcode", "Passwort", "Kennwort", "mot de passe", "contraseña"),
    ("PIN", "PIN code", "PIN number"),
    ("username", "user name", "login name", "Benutzername", "nom d'utilisateur",
     "nombre de usuario"),
    ("date of birth", "birth date", "birthday", "Geburtsdatum", "date de naissance",
     "fecha de nacimiento"),
    ("order number", "order ID", "Bestellnummer", "numéro de commande", "número de pedido"),
    ("tracking number", "tracking code", "Sendungsnummer", "numéro de suivi",
     "número de seguimiento"),
    ("account number", "Kontonummer", "numéro de compte", "número de cuenta"),
    ("card number", "credit card number", "Kartennummer", "numéro de carte",
     "número de tarjeta"),
    ("IBAN",),
    ("invoice number", "Rechnungsnummer", "numéro de facture", "número de factura"),
)


def language_of(words: list[str]) -> str:
    """The language with the most function words among ``words`` (English on a tie)."""
    best, best_count = "en", 0
    for language in LANGUAGES:
        count = sum(1 for word in words if word in STOPWORDS[language])
        if count > best_count:
            best, best_count = language, count
    return best
