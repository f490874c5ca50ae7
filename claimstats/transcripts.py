"""Transcriptions for the synthetic dataset: phrase banks and how they are drawn.

A synthetic transcription is a class-specific opening ("a friend read online
that …" for claims, "my family's view is that …" for opinions) followed by a
fact drawn from one bank shared by both classes, so that the wording, not the
fact, tells a claim from an opinion, as in the course file. The banks were
written for this package; they follow the course file's structure only and
share none of its sentences (``tests/test_transcripts.py`` checks this when the
course file is present). :func:`claimstats.simulate.simulate` calls
:func:`draw_transcriptions`.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import product

import numpy as np

__all__ = ["FACTS", "PERIOD_SHARE", "draw_transcriptions", "openings"]

# Transcriptions ending in a full stop (2.5 % in both classes).
PERIOD_SHARE = 0.025

# --- phrase banks for the transcriptions -------------------------------------
# Written for this package. They follow the course file's *structure* only:
# a class-specific opening ("<someone> <heard> <somewhere> that" for claims,
# "<whose> <stance> is that" for opinions) and a fact from a bank shared by the
# two classes, so that the wording, not the fact, tells a claim from an opinion
# (as in the course file, where a bag-of-words model separates them perfectly).
# Weights reproduce the course file's mix of structures: e.g. 62 % of claim
# openings carry a doubled space after the verb and 36 % add "a rumor"-like
# phrase; 2 % of opinions and 3.5 % of claims have no "that".
_W = tuple[tuple[str, float], ...]

_CLAIM_SUBJECTS: _W = (
    ("a friend", 0.14), ("a coworker", 0.14), ("a neighbor", 0.12),
    ("a classmate", 0.10), ("someone", 0.22), ("i", 0.28),
)
_CLAIM_TELLERS: _W = tuple(s for s in _CLAIM_SUBJECTS if s[0] != "i")
# where each verb can have happened (nobody reads a radio show)
_CLAIM_PLACES = {
    "read": (
        "in a newsletter", "on a blog", "in a group chat", "on a message board",
        "in a magazine", "online", "on social media", "on a fan forum",
        "in the paper", "on a news site", "in a comment thread",
    ),
    "heard": (
        "on a podcast", "on the radio", "on a talk show", "in a documentary",
        "in a viral video", "at a barbecue", "on a livestream",
    ),
    "saw": (
        "in a documentary", "on a talk show", "in a viral video", "online",
        "on social media", "on a news site", "in a livestream",
    ),
    "noticed": (
        "on a podcast", "in a newsletter", "on a blog", "on the radio",
        "online", "on social media", "in the paper", "on a fan forum",
    ),
}
_CLAIM_RUMORS = ("a rumor", "a story", "a theory", "a tip", "the idea")
_CLAIM_FINDS = ("found", "spotted", "bookmarked", "forwarded")
_CLAIM_DOCS = (
    "a blog post", "an article", "a video", "a thread", "a headline",
    "an infographic", "a viral post", "a podcast episode",
)
_CLAIM_SAYING = ("saying", "suggesting", "explaining", "arguing", "stating")
_CLAIM_RELAYS = ("said", "mentioned", "posted", "repeated")
_CLAIM_EXPERTS = (
    "a scientist", "an expert", "researchers", "a professor", "a doctor",
    "a reporter", "a study",
)
_CLAIM_PROVED = ("proved", "found", "showed", "confirmed")
_CLAIM_TOLD = ("told me", "assured me", "swore to me", "shared with me")
_CLAIM_NEWS = (
    "the evening news", "a radio host", "a news anchor", "the local paper",
    "a morning show", "a trending post",
)
_CLAIM_ANNOUNCED = ("reported", "announced", "said", "revealed")

_OPINION_OWNERS: _W = (
    ("my", 0.18), ("our", 0.12), ("my family's", 0.16), ("my friends'", 0.14),
    ("my coworkers'", 0.14), ("my neighbors'", 0.13), ("my parents'", 0.13),
)
_OPINION_NOUNS = (
    "take", "hunch", "guess", "sense", "gut feeling", "instinct", "conclusion",
    "theory", "suspicion", "perspective", "assumption", "stance", "expectation",
    "verdict", "intuition", "inkling", "best guess", "working assumption",
)
# (holder, form of "to be", third person singular?)
_OPINION_HOLDERS = (
    ("i", "am", False), ("we", "are", False), ("my family", "is", True),
    ("my friends", "are", False), ("my coworkers", "are", False),
    ("my neighbors", "are", False), ("my parents", "are", False),
)
_OPINION_VERBS = (
    ("suspect", "suspects"), ("assume", "assumes"), ("reckon", "reckons"),
    ("figure", "figures"), ("imagine", "imagines"), ("would guess", "would guess"),
    ("tend to think", "tends to think"), ("gather", "gathers"),
    ("presume", "presumes"), ("would argue", "would argue"), ("maintain", "maintains"),
)
_OPINION_READY = ("ready", "happy", "prepared")
_OPINION_BETS = ("bet", "wager", "argue", "swear")
_OPINION_SURE = ("pretty sure", "fairly sure", "quite certain")
_OPINION_ASIDES = (
    "if you ask me", "if you ask us", "personally", "as i see it", "as we see it",
    "to be honest",
)


def _uniform(items) -> _W:
    return tuple((item, 1.0) for item in items)


def _expand(template: str, weight: float, **parts: _W) -> list[tuple[str, float]]:
    """Every filling of ``template``, each weighted by ``weight`` times its parts' shares."""
    names = list(parts)
    shares = {k: np.array([w for _, w in v]) / sum(w for _, w in v) for k, v in parts.items()}
    out = []
    for picks in product(*(range(len(parts[k])) for k in names)):
        fill = {k: parts[k][i][0] for k, i in zip(names, picks)}
        share = np.prod([shares[k][i] for k, i in zip(names, picks)])
        out.append((template.format(**fill), weight * share))
    return out


@lru_cache(maxsize=None)
def openings(kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Openings of one class (each ending with a space) and their probabilities.

    Examples
    --------
    >>> from claimstats.transcripts import openings
    >>> texts, p = openings("opinion")
    >>> bool(abs(p.sum() - 1) < 1e-12), all(t.endswith(" ") for t in texts)
    (True, True)
    """
    u = _uniform
    if kind == "claim":
        rows = (
            # the doubled space after the verb is a quirk of the course file
            [
                row
                for verb, places in _CLAIM_PLACES.items()
                for row in _expand("{s} " + verb + "  {p} that", 0.26 / len(_CLAIM_PLACES),
                                   s=_CLAIM_SUBJECTS, p=u(places))
                + _expand("{s} " + verb + "  {p} {r} that", 0.36 / len(_CLAIM_PLACES),
                          s=_CLAIM_SUBJECTS, p=u(places), r=u(_CLAIM_RUMORS))
            ]
            + _expand("{s} {f} {d} {g} that", 0.20, s=_CLAIM_SUBJECTS, f=u(_CLAIM_FINDS),
                      d=u(_CLAIM_DOCS), g=u(_CLAIM_SAYING))
            + _expand("{s} {r} {e} {p} that", 0.105, s=_CLAIM_SUBJECTS, r=u(_CLAIM_RELAYS),
                      e=u(_CLAIM_EXPERTS), p=u(_CLAIM_PROVED))
            + _expand("{s} {t} that", 0.04, s=_CLAIM_TELLERS, t=u(_CLAIM_TOLD))
            + _expand("{n} {a}", 0.035, n=u(_CLAIM_NEWS), a=u(_CLAIM_ANNOUNCED))
        )
    else:
        be = tuple(f"{h} {form}" for h, form, _ in _OPINION_HOLDERS)
        clauses = tuple(
            f"{h} {v3 if third else v}"
            for (h, _, third), (v, v3) in product(_OPINION_HOLDERS, _OPINION_VERBS)
        )
        rows = (
            _expand("{o} {n} is that", 0.55, o=_OPINION_OWNERS, n=u(_OPINION_NOUNS))
            + _expand("{c} that", 0.25, c=u(clauses))
            + _expand("{h} {r} to {b} that", 0.14, h=u(be), r=u(_OPINION_READY), b=u(_OPINION_BETS))
            # a doubled space again, as in the course file's opinions
            + _expand("{h} {s}  that", 0.04, h=u(be), s=u(_OPINION_SURE))
            + _expand("{a}", 0.02, a=u(_OPINION_ASIDES))
        )
    texts = np.array([t + " " for t, _ in rows], dtype=object)
    p = np.array([w for _, w in rows])
    return texts, p / p.sum()


# Facts shared by both classes: written for this package, checked against the
# course file to share no sentence and no fact wording with it.
FACTS = (
    "birds are battery powered",
    "bigfoot exists",
    "crystals cure headaches",
    "the earth is hollow",
    "full moons cause insomnia",
    "5g towers spread colds",
    "sugar makes kids hyper",
    "shaving makes hair grow back thicker",
    "bats are completely blind",
    "microwaving food removes its vitamins",
    "dogs see only in gray",
    "deer have no gallbladders",
    "the sahara used to be green",
    "desert sand can sing",
    "old window glass slowly flows",
    "ostriches hide by burying their heads",
    "europeans once feared tomatoes",
    "wet hair gives you a fever",
    "swallowed gum stays inside you for 7 years",
    "a village in the alps holds a yearly race where runners chase a wheel of cheese down a steep hill",
    "during a long blackout in 2003, people in several big cities saw the milky way from their streets",
    "a researcher counted the grains in 40 bags of rice and found totals varied by more than 10% between brands",
    "the longest-running lab experiment has timed drops of tar falling from a funnel since 1927, and only 9 have fallen",
    "bakers in some countries are required by law to sell bread at a fixed price on sundays and public holidays",
    "an orchestra in vienna performs on instruments carved from fresh vegetables, which are made into soup after the concert",
    "tap water makes you taller",
    "cats can see ghosts",
    "pigeons invented the compass",
    "yawning cools the brain",
    "rain smells like metal on mars",
    "carrots were purple before the 1600s",
    "wombat droppings are shaped like cubes",
    "scientists define a jiffy as an actual unit of time",
    "sea otters hold paws while they sleep",
    "typographers call the dot above a lowercase i a tittle",
    "houseflies hum in the musical key of f",
    "rats giggle when they are tickled",
    "penguins court each other with pebbles",
    "the hashtag symbol is officially named the octothorpe",
    "ketchup was once sold in pharmacies as a remedy for indigestion",
    "the first documented computer bug was a moth trapped inside a relay",
    "glass frogs have transparent skin on their undersides",
    "shrimp keep their hearts inside their heads",
    "the national animal of scotland is the unicorn",
    "peanuts grow underground and are legumes rather than nuts",
    "a lightning bolt is several times hotter than the surface of the sun",
    "a cloud of average size weighs about as much as 100 elephants",
    "the english alphabet got the letter j later than every other letter",
    "astronauts come back from long missions a few centimeters taller",
    "flocks of crows are traditionally called murders",
    "a blue whale’s tongue weighs as much as a small car",
    "oxford university was already teaching students before the aztecs founded their capital",
    "hot water sometimes freezes faster than cold water",
    "a well-shuffled 52-card deck is almost certainly in a never-before-seen order",
    "the oldest surviving written recipe describes how to brew beer",
    "mount everest rises by a few millimeters every year",
    "a bowl of water near a radiator prevents winter colds",
    "a day on mercury lasts longer than a mercury year",
    "the chance of being struck by lightning in a lifetime is about 1 in 15,000",
    "the world's oldest known chewing gum is roughly 9,000 years old",
    "avocados can poison parrots and many other pet birds",
    "the ocean sound inside seashells is actually your own blood flowing",
    "household dust mostly comes from outdoor soil tracked inside on shoes",
    "the average person walks the distance of 3 trips around the earth in a lifetime",
    "a newborn kangaroo is about the size of a jelly bean",
    "the statue of liberty was delivered to new york in 350 separate pieces",
    "some turtles can breathe through their rear ends during hibernation",
    "an adult human has fewer bones than a newborn baby",
    "a hummingbird weighs less than a coin",
    "the first alarm clock could only ring at 4 a.m.",
    "the inventor of the pringles can was buried in one",
    "playing cards used to be accepted as money in a french colony",
    "cleopatra lived closer in time to the first pizza hut than to the building of the great pyramid",
    "the shortest commercial flight in the world lasts under 2 minutes",
    "cows can climb staircases but struggle descending them",
    "one norwegian town experiences two months without sunrise every winter",
    "the fingerprints of a koala are so close to human prints that they have confused investigators",
    "a tiny jellyfish species can reverse its aging and start its life cycle again",
    "fortune cookies were popularized in california, not in china",
    "the longest english word without a true vowel is rhythms",
    "a teaspoon of honey represents the lifetime output of twelve bees",
    "the eye muscles move more than 100,000 times a day",
    "lobsters were once so common that prisoners complained about eating them",
    "the can opener was invented nearly 50 years after the tin can",
    "your stomach gets a new lining every few days so it does not digest itself",
    "some cats are allergic to people",
    "the sound a duck makes does echo, despite the rumor that it doesn’t",
    "giraffes only need about 30 minutes of sleep a day",
    "elephants are the only land mammals that cannot jump",
    "the average fridge holds at least 1 jar of something older than a year",
    "the first ticket for speeding was issued to a driver going 13 kilometers per hour",
    "the moon has its own time zones for future missions",
    "vending machines kill more people each year than sharks do",
    "a person sheds about 600,000 flakes of skin every hour",
    "the first oranges were green and still are in some tropical countries",
    "sharks existed before trees appeared on earth",
    "the heart can keep beating for a short time outside the body",
    "cucumber interiors can stay 20 degrees cooler than surrounding air",
    "elevator close buttons in many office buildings are not connected to anything",
    "a day on earth was only about 22 hours long when dinosaurs lived",
    "humans and giraffes have the same number of bones in their necks",
    "the longest wedding veil on record was longer than 60 football fields",
    "a racehorse in 1923 finished first carrying a jockey who had died mid-race",
    "male seahorses carry the eggs and give birth to the young",
    "your nose can remember about 50,000 different smells",
    "most lipstick contains fish scales",
    "a crocodile’s bite is strong but the muscles that open its jaws are weak",
    "apples float because they are roughly a quarter air",
    "the first email was sent more than 50 years ago",
    "the average smartphone user touches their phone more than 2,600 times a day",
    "scotland has over 400 words for snow",
    "the great barrier reef can be seen from orbit",
    "there is enough gold in the oceans to give every person several kilograms",
    "bananas are slightly radioactive because of their potassium",
    "nasa once paid people $18,000 to lie in bed for 70 days",
    "the world's quietest room is so silent that visitors can hear their own organs",
    "the longest time between two twins being born is 87 days",
    "leaving a phone charger plugged in all day doubles the power bill",
    "the letter e appears in roughly 11% of all english words",
    "water makes up about 60% of an adult body",
    "a blink lasts about 100 milliseconds",
    "the first photograph took 8 hours to expose",
    "more people in the world own a mobile phone than a toothbrush",
    "polar bears have black skin under their white fur",
    "horses cannot throw up",
    "a group of porcupines is called a prickle",
    "armadillos nearly always give birth to identical quadruplets",
    "the sun contains over 99% of the solar system’s mass",
    "supermarkets pump the smell of fresh bread into their aisles",
    "the average person spends 6 months of their life waiting at red lights",
    "chewing gum while peeling onions keeps you from crying",
    "iceland has no mosquitoes at all",
    "the heaviest pumpkin ever grown weighed more than a grand piano",
    "bees communicate the location of flowers by dancing",
    "the first product scanned with a barcode was a pack of chewing gum",
    "a person can survive longer without food than without sleep",
    "earth's inner core is roughly as hot as the sun’s surface",
    "some frogs can freeze solid in winter and thaw back to life in spring",
    "octopus ink was once used as writing ink by ancient scholars",
    "the world's smallest mammal weighs less than 2 grams",
    "high heels were first designed for men riding horses",
    "the tallest tree in the world is taller than the statue of liberty",
    "your body produces about 25 million new cells every second",
    "an average cumulus cloud holds about half a million liters of water",
    "sound travels about 4 times faster in water than in air",
    "the first known contraceptive was crocodile dung",
    "napoleon was not actually short for his time",
    "there are more than 7,000 languages spoken in the world today",
    "the moon has moonquakes that can last for hours",
    "a single cloud can contain a swimming pool’s worth of water",
    "the speed of a sneeze can reach 160 kilometers per hour",
    "the deepest part of the ocean is deeper than mount everest is tall",
    "about 1 in 2,000 people is born with a tooth already showing",
    "velcro was inspired by burrs that stuck to a dog’s fur",
    "in switzerland it is illegal to own just one guinea pig because they get lonely",
    "the human body contains enough iron to make a small nail",
    "the city of istanbul sits on two continents",
    "a rainbow seen from an airplane can be a full circle",
    "antarctica is the largest desert on the planet",
    "an avalanche can reach speeds of 300 kilometers per hour within seconds of starting",
    "the popsicle was invented by an 11-year-old who left a drink outside overnight",
    "the human eye can distinguish about 10 million different colors",
    "cotton candy was co-invented by a dentist",
    "a single bat devours roughly 1,000 insects hourly",
    "there is a species of fungus that turns ants into zombies",
    "the word \"robot\" comes from a czech word for forced labor",
    "a group of flamingos is called a flamboyance",
    "the great fire of london destroyed more than 13,000 houses but officially killed very few people",
    "mosquitoes are attracted to people who recently ate bananas",
    "every odd number has the letter e in its english spelling",
    "dolphins sleep with one half of their brain at a time",
    "there are more fake flamingos in the world than real ones",
    "the human skeleton renews itself completely about every 10 years",
    "the inventor of the lightbulb was afraid of the dark",
    "the saturn v rocket burned 20 tons of fuel every second at liftoff",
    "the tips of bullwhips move faster than the speed of sound",
    "a mantis shrimp can punch with the force of a small bullet",
    "the first webcam monitored a university laboratory’s coffee pot",
    "earth is the only planet not named after a mythological god",
    "the average adult laughs about 15 times a day while children laugh hundreds of times",
    "a group of owls is called a parliament",
    "humans are the only animals that blush",
    "the world's busiest airport handles more than 90 million passengers every year",
    "the color of a polar bear’s fur is actually transparent",
    "the first roller coaster was built to distract people from sin",
    "ancient romans used crushed mouse brains as toothpaste",
    "the largest living organism on earth is a fungus in oregon covering almost 10 square kilometers",
    "there are roughly 8 billion chickens in the world at any moment, more than the number of people",
    "most of the world’s cinnamon comes from the bark of trees in sri lanka",
    "one pluto day lasts over 6 earth days",
    "board game companies make most of their yearly sales during december",
    "a typical pencil can draw a line about 56 kilometers long",
    "individual taste buds regenerate roughly every 10 days",
    "adult mayflies typically survive just one day",
    "driving nonstop at highway speed, reaching the sun would take over 150 years",
    "certain bamboo species grow nearly a meter daily",
    "cows produce more milk when they listen to calm music",
    "a new survey says 4 in 10 adults talk to their houseplants",
    "the average office keyboard carries more germs than a kitchen sponge",
    "people who drink coffee after 3 p.m. dream in brighter colors",
    "a city in finland heats 2,000 homes with the waste heat from a data center",
    "roughly one third of all food produced worldwide is never eaten",
    "the loudest recorded burp was louder than a motorcycle engine",
    "a popular energy drink contains more sugar than 3 glazed doughnuts",
    "wind turbines in the north sea power more homes than there are people in denmark",
    "parrots kept as pets can pick up the ringtones of their owners' phones",
    "dogs can smell changes in blood sugar before a person notices any symptoms",
    "a spoonful of soil from a forest floor contains more fungi species than a whole zoo has animals",
    "the typical car spends 95% of its life parked",
    "teenagers need about 2 more hours of sleep each night than their parents",
    "school buses are the safest way for children to travel to class",
    "streaming video for an hour consumes as much electricity as boiling 6 kettles",
    "eating cheese before bed gives people vivid dreams",
    "a forgotten apple in the fridge can stay crisp for almost a year",
    "seagulls in some coastal towns have learned to open bags of chips with their feet",
    "the first text message ever sent said merry christmas",
    "the world's first traffic light exploded a few weeks after it was installed",
    "a bridge in china is made entirely of glass and stretches over 400 meters",
    "tortoises can feel it when you scratch their shells",
    "wearing socks to bed helps you fall asleep faster",
    "lost wallets containing cash are returned more often than empty ones",
    "pigs cannot look straight up at the sky",
    "crows hold grudges against specific people for years",
    "the average cumulus cloud drifts along at the speed of a bicycle",
)


def _fewer_repeats(rng, pick, fact, cdf, n_facts, rounds=8):
    """Redraw the opening of rows whose (opening, fact) pair repeats an earlier row.

    The course file has almost no repeated transcriptions (none among
    opinions, 0.75 % among claims), fewer than independent draws would give.
    A few vectorised rounds remove nearly all repeats; when the rows outnumber
    a quarter of the effective number of pairs, repeats are unavoidable and
    redrawing would only distort the mix of openings, so nothing is done.
    """
    effective_pairs = n_facts / np.sum(np.diff(cdf, prepend=0.0) ** 2)
    if len(pick) * 4 > effective_pairs:
        return pick
    pick = pick.copy()
    for _ in range(rounds):
        _, first = np.unique(pick.astype(np.int64) * n_facts + fact, return_index=True)
        repeat = np.ones(len(pick), dtype=bool)
        repeat[first] = False
        k = int(repeat.sum())
        if k == 0:
            break
        redraw = np.searchsorted(cdf, rng.random(k), side="right")
        pick[repeat] = np.minimum(redraw, len(cdf) - 1)
    return pick


def draw_transcriptions(rng: np.random.Generator, block: np.ndarray) -> np.ndarray:
    """One transcription per row: an opening of the row's class, then a fact.

    Parameters
    ----------
    rng : numpy.random.Generator
        The generator of the whole simulation; the draws come in a fixed order
        (openings, facts, full stops, then redraws of repeats), so the text
        depends only on the generator's state and ``block``.
    block : numpy.ndarray of int
        Per row: 0 = claim, 1 = opinion, 2 = a row without transcription.

    Returns
    -------
    numpy.ndarray of object
        The transcriptions, NaN where ``block`` is 2.

    Examples
    --------
    >>> import numpy as np
    >>> from claimstats.transcripts import draw_transcriptions
    >>> texts = draw_transcriptions(np.random.default_rng(0), np.array([0, 1, 2]))
    >>> [isinstance(t, str) for t in texts]
    [True, True, False]
    """
    n = len(block)
    # Index arrays into the banks, then one vectorised concatenation of
    # Python strings (object arrays), not a loop over rows.
    text = np.full(n, np.nan, dtype=object)
    u_open = rng.random(n)
    fact = rng.integers(0, len(FACTS), size=n)
    period = rng.random(n) < PERIOD_SHARE
    facts = np.array(FACTS, dtype=object)
    facts_stop = np.array([f + "." for f in FACTS], dtype=object)
    for code, kind in enumerate(("claim", "opinion")):
        rows = block == code
        if not rows.any():
            continue
        texts, p = openings(kind)
        cdf = np.cumsum(p)
        pick = np.minimum(np.searchsorted(cdf, u_open[rows], side="right"), len(p) - 1)
        pick = _fewer_repeats(rng, pick, fact[rows], cdf, len(FACTS))
        ending = np.where(period[rows], facts_stop[fact[rows]], facts[fact[rows]])
        text[rows] = texts[pick] + ending
    return text
