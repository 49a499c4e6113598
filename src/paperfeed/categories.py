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

# An archive's own page holds all its categories, as arXiv's listing of cond-mat or math does.
_ARCHIVE_NAMES = {
    "cs": "Computer Science",
    "econ": "Economics",
    "eess": "Electrical Engineering and Systems Science",
    "math": "Mathematics",
    "astro-ph": "Astrophysics",
    "cond-mat": "Condensed Matter",
    "nlin": "Nonlinear Sciences",
    "physics": "Physics",
    "q-bio": "Quantitative Biology",
    "q-fin": "Quantitative Finance",
    "stat": "Statistics",
}

KNOWN: frozenset[str] = frozenset(
    [f"{archive}.{sub}" for archive, subs in _GROUPS.items() for sub in subs.split()]
    + _WHOLE.split()
)
_BY_LOWER = {c.lower(): c for c in KNOWN}

# Names as arXiv's taxonomy page gives them, for every category it lists.
_NAMES = {
    "cs": {
        "AI": "Artificial Intelligence",
        "AR": "Hardware Architecture",
        "CC": "Computational Complexity",
        "CE": "Computational Engineering, Finance, and Science",
        "CG": "Computational Geometry",
        "CL": "Computation and Language",
        "CR": "Cryptography and Security",
        "CV": "Computer Vision and Pattern Recognition",
        "CY": "Computers and Society",
        "DB": "Databases",
        "DC": "Distributed, Parallel, and Cluster Computing",
        "DL": "Digital Libraries",
        "DM": "Discrete Mathematics",
        "DS": "Data Structures and Algorithms",
        "ET": "Emerging Technologies",
        "FL": "Formal Languages and Automata Theory",
        "GL": "General Literature",
        "GR": "Graphics",
        "GT": "Computer Science and Game Theory",
        "HC": "Human-Computer Interaction",
        "IR": "Information Retrieval",
        "IT": "Information Theory",
        "LG": "Machine Learning",
        "LO": "Logic in Computer Science",
        "MA": "Multiagent Systems",
        "MM": "Multimedia",
        "MS": "Mathematical Software",
        "NA": "Numerical Analysis",
        "NE": "Neural and Evolutionary Computing",
        "NI": "Networking and Internet Architecture",
        "OH": "Other Computer Science",
        "OS": "Operating Systems",
        "PF": "Performance",
        "PL": "Programming Languages",
        "RO": "Robotics",
        "SC": "Symbolic Computation",
        "SD": "Sound",
        "SE": "Software Engineering",
        "SI": "Social and Information Networks",
        "SY": "Systems and Control",
    },
    "econ": {"EM": "Econometrics", "GN": "General Economics", "TH": "Theoretical Economics"},
    "eess": {
        "AS": "Audio and Speech Processing",
        "IV": "Image and Video Processing",
        "SP": "Signal Processing",
        "SY": "Systems and Control",
    },
    "math": {
        "AC": "Commutative Algebra",
        "AG": "Algebraic Geometry",
        "AP": "Analysis of PDEs",
        "AT": "Algebraic Topology",
        "CA": "Classical Analysis and ODEs",
        "CO": "Combinatorics",
        "CT": "Category Theory",
        "CV": "Complex Variables",
        "DG": "Differential Geometry",
        "DS": "Dynamical Systems",
        "FA": "Functional Analysis",
        "GM": "General Mathematics",
        "GN": "General Topology",
        "GR": "Group Theory",
        "GT": "Geometric Topology",
        "HO": "History and Overview",
        "IT": "Information Theory",
        "KT": "K-Theory and Homology",
        "LO": "Logic",
        "MG": "Metric Geometry",
        "MP": "Mathematical Physics",
        "NA": "Numerical Analysis",
        "NT": "Number Theory",
        "OA": "Operator Algebras",
        "OC": "Optimization and Control",
        "PR": "Probability",
        "QA": "Quantum Algebra",
        "RA": "Rings and Algebras",
        "RT": "Representation Theory",
        "SG": "Symplectic Geometry",
        "SP": "Spectral Theory",
        "ST": "Statistics Theory",
    },
    "astro-ph": {
        "CO": "Cosmology and Nongalactic Astrophysics",
        "EP": "Earth and Planetary Astrophysics",
        "GA": "Astrophysics of Galaxies",
        "HE": "High Energy Astrophysical Phenomena",
        "IM": "Instrumentation and Methods for Astrophysics",
        "SR": "Solar and Stellar Astrophysics",
    },
    "cond-mat": {
        "dis-nn": "Disordered Systems and Neural Networks",
        "mes-hall": "Mesoscale and Nanoscale Physics",
        "mtrl-sci": "Materials Science",
        "other": "Other Condensed Matter",
        "quant-gas": "Quantum Gases",
        "soft": "Soft Condensed Matter",
        "stat-mech": "Statistical Mechanics",
        "str-el": "Strongly Correlated Electrons",
        "supr-con": "Superconductivity",
    },
    "nlin": {
        "AO": "Adaptation and Self-Organizing Systems",
        "CD": "Chaotic Dynamics",
        "CG": "Cellular Automata and Lattice Gases",
        "PS": "Pattern Formation and Solitons",
        "SI": "Exactly Solvable and Integrable Systems",
    },
    "physics": {
        "acc-ph": "Accelerator Physics",
        "ao-ph": "Atmospheric and Oceanic Physics",
        "app-ph": "Applied Physics",
        "atm-clus": "Atomic and Molecular Clusters",
        "atom-ph": "Atomic Physics",
        "bio-ph": "Biological Physics",
        "chem-ph": "Chemical Physics",
        "class-ph": "Classical Physics",
        "comp-ph": "Computational Physics",
        "data-an": "Data Analysis, Statistics and Probability",
        "ed-ph": "Physics Education",
        "flu-dyn": "Fluid Dynamics",
        "gen-ph": "General Physics",
        "geo-ph": "Geophysics",
        "hist-ph": "History and Philosophy of Physics",
        "ins-det": "Instrumentation and Detectors",
        "med-ph": "Medical Physics",
        "optics": "Optics",
        "plasm-ph": "Plasma Physics",
        "pop-ph": "Popular Physics",
        "soc-ph": "Physics and Society",
        "space-ph": "Space Physics",
    },
    "q-bio": {
        "BM": "Biomolecules",
        "CB": "Cell Behavior",
        "GN": "Genomics",
        "MN": "Molecular Networks",
        "NC": "Neurons and Cognition",
        "OT": "Other Quantitative Biology",
        "PE": "Populations and Evolution",
        "QM": "Quantitative Methods",
        "SC": "Subcellular Processes",
        "TO": "Tissues and Organs",
    },
    "q-fin": {
        "CP": "Computational Finance",
        "EC": "Economics",
        "GN": "General Finance",
        "MF": "Mathematical Finance",
        "PM": "Portfolio Management",
        "PR": "Pricing of Securities",
        "RM": "Risk Management",
        "ST": "Statistical Finance",
        "TR": "Trading and Market Microstructure",
    },
    "stat": {
        "AP": "Applications",
        "CO": "Computation",
        "ME": "Methodology",
        "ML": "Machine Learning",
        "OT": "Other Statistics",
        "TH": "Statistics Theory",
    },
}
_WHOLE_NAMES = {
    "quant-ph": "Quantum Physics",
    "gr-qc": "General Relativity and Quantum Cosmology",
    "hep-th": "High Energy Physics - Theory",
    "hep-ph": "High Energy Physics - Phenomenology",
    "hep-ex": "High Energy Physics - Experiment",
    "hep-lat": "High Energy Physics - Lattice",
    "math-ph": "Mathematical Physics",
    "nucl-th": "Nuclear Theory",
    "nucl-ex": "Nuclear Experiment",
    "astro-ph": "Astrophysics",
    "cond-mat": "Condensed Matter",
    # Archives arXiv has since folded into others; older papers still carry them.
    "acc-phys": "Accelerator Physics",
    "adap-org": "Adaptation, Noise, and Self-Organizing Systems",
    "alg-geom": "Algebraic Geometry",
    "ao-sci": "Atmospheric-Oceanic Sciences",
    "atom-ph": "Atomic, Molecular and Optical Physics",
    "bayes-an": "Bayesian Analysis",
    "chao-dyn": "Chaotic Dynamics",
    "chem-ph": "Chemical Physics",
    "cmp-lg": "Computation and Language",
    "comp-gas": "Cellular Automata and Lattice Gases",
    "dg-ga": "Differential Geometry",
    "funct-an": "Functional Analysis",
    "mtrl-th": "Materials Theory",
    "patt-sol": "Pattern Formation and Solitons",
    "plasm-ph": "Plasma Physics",
    "q-alg": "Quantum Algebra and Topology",
    "solv-int": "Exactly Solvable and Integrable Systems",
    "supr-con": "Superconductivity",
}
NAMES: dict[str, str] = {
    f"{archive}.{sub}": name for archive, subs in _NAMES.items() for sub, name in subs.items()
} | _WHOLE_NAMES


def canonical(name: str) -> str | None:
    """The category as arXiv spells it (cs.cl -> cs.CL), or None when there is no such category."""
    return _BY_LOWER.get(name.strip().lower())


def name_of(category: str) -> str:
    """The category's or archive's name ("cs.CV" -> "Computer Vision and Pattern Recognition",
    "math" -> "Mathematics"); empty when it has none here."""
    return NAMES.get(category) or _ARCHIVE_NAMES.get(category, "")


def archive(name: str) -> str | None:
    """The archive of subject categories as arXiv spells it (MATH -> math), or None."""
    key = name.strip().lower()
    return key if key in _GROUPS else None


def members(category: str) -> tuple[str, ...]:
    """The categories a page of `category` lists: an archive's own and all of its subcategories
    (cond-mat: cond-mat, cond-mat.str-el, ...), else the category alone."""
    subs = _GROUPS.get(category)
    return (category, *(f"{category}.{sub}" for sub in subs.split())) if subs else (category,)


def kept_by(name: str) -> tuple[str, ...]:
    """The categories a search filter of `name` keeps: an archive's (any case: CS is cs) all of
    its, else the category alone; several names joined by commas ("cs.CL,cs.LG") keep any."""
    named = (n.strip() for n in name.split(","))
    return tuple(
        dict.fromkeys(m for n in named if n for m in members(archive(n) or canonical(n) or n))
    )


def spelled(names: str) -> str:
    """A comma-joined category filter with each name as arXiv spells it ("cs.cl, CS" ->
    "cs.CL,cs"); a name that is no category or archive is kept as typed (for the caller to say)."""
    named = (n.strip() for n in names.split(","))
    return ",".join(dict.fromkeys(canonical(n) or archive(n) or n for n in named if n))


def checked(name: str, archives: bool = False) -> str:
    """The category as arXiv spells it (or, with `archives`, a whole archive: cs, q-bio);
    ValueError, saying what was meant where it can, when there is no such category (a follow or
    mute of "cs.XX" would match nothing, silently)."""
    known = canonical(name) or (archive(name) if archives else None)
    if known is not None:
        return known
    close = suggest(name, archives) if len(name) <= 64 else None
    hint = f" Did you mean {close}?" if close else " Use names like cs.CL or math.PR."
    shown = name if len(name) <= 64 else name[:64] + "…"
    raise ValueError(f"{shown!r} is not an arXiv category.{hint}")


def suggest(name: str, archives: bool = False) -> str | None:
    """The known category closest to a mistyped one, if any is close (cs.ML -> stat.ML); with
    `archives`, an archive too (qbio -> q-bio)."""
    key = name.strip().lower()
    sub = key.rpartition(".")[2]
    same_sub = sorted(c for low, c in _BY_LOWER.items() if "." in key and low.endswith("." + sub))
    if len(same_sub) == 1:  # the right subject in the wrong archive
        return same_sub[0]
    known = _BY_LOWER | ({a: a for a in _GROUPS} if archives else {})
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return known[close[0]] if close else None
