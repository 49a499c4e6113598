"""arXiv's subject categories (https://arxiv.org/category_taxonomy), in one place.

Digest preferences check categories against it; ingest and the site can use it too.
"""

from __future__ import annotations

import difflib

_GROUPS = {
    "cs": "AI AR CC CE CG CL CR CV CY DB DC DL DM DS ET FL GL GR GT HC IR IT LG LO MA MM MS NA NE "
    "NI OH OS PF PL RO SC SD SE SI SY",
    "econ": "EM GN TH",
    "eess": "AS IV SP SY",
    "math": "AC AG AP AT CA CO CT CV DG DS FA GM GN GR GT HO IT KT LO MG MP NA NT OA OC PR QA RA "
    "RT SG SP ST",
    "astro-ph": "CO EP GA HE IM SR",
    "cond-mat": "dis-nn mes-hall mtrl-sci other quant-gas soft stat-mech str-el supr-con",
    "nlin": "AO CD CG PS SI",
    "physics": "acc-ph ao-ph app-ph atm-clus atom-ph bio-ph chem-ph class-ph comp-ph data-an "
    "ed-ph flu-dyn gen-ph geo-ph hist-ph ins-det med-ph optics plasm-ph pop-ph soc-ph space-ph",
    "q-bio": "BM CB GN MN NC OT PE QM SC TO",
    "q-fin": "CP EC GN MF PM PR RM ST TR",
    "stat": "AP CO ME ML OT TH",
}
# Archives without subcategories, and old archive names that still label older papers.
_WHOLE = (
    "astro-ph gr-qc hep-ex hep-lat hep-ph hep-th math-ph nucl-ex nucl-th quant-ph "
    "acc-phys adap-org alg-geom ao-sci atom-ph bayes-an chao-dyn chem-ph cmp-lg comp-gas "
    "cond-mat dg-ga funct-an mtrl-th patt-sol plasm-ph q-alg solv-int supr-con"
)

KNOWN: frozenset[str] = frozenset(
    [f"{archive}.{sub}" for archive, subs in _GROUPS.items() for sub in subs.split()]
    + _WHOLE.split()
)
_BY_LOWER = {c.lower(): c for c in KNOWN}


def canonical(name: str) -> str | None:
    """The category as arXiv spells it (cs.cl -> cs.CL), or None when there is no such category."""
    return _BY_LOWER.get(name.strip().lower())


def suggest(name: str) -> str | None:
    """The known category closest to a mistyped one, if any is close (cs.ML -> stat.ML)."""
    key = name.strip().lower()
    sub = key.rpartition(".")[2]
    same_sub = sorted(c for low, c in _BY_LOWER.items() if "." in key and low.endswith("." + sub))
    if len(same_sub) == 1:  # the right subject in the wrong archive
        return same_sub[0]
    close = difflib.get_close_matches(key, list(_BY_LOWER), n=1, cutoff=0.6)
    return _BY_LOWER[close[0]] if close else None
