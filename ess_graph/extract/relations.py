"""Relation rules over sentences.

Each sentence is rewritten as a *template* where every (outermost) mention is
replaced by a marker ``\\ue000{mention-index}:{EntityType}\\ue001``; the rules are
regular expressions over that template, so they can say "an organisation,
then 'organisé par', then a person" without caring about the names.

A slot filled by a pronoun or a generic noun phrase ("il", "la commune", "ce
réseau", "notre municipalité") never yields an asserted fact: the relation is
emitted with ``candidate=True`` and the nearest compatible antecedent, for a
researcher to confirm (see ``ess_graph.curation``). The only coreference
resolved automatically is an explicit plural ("les deux communes") when the
sentences just before coordinate exactly that many communes, and a
demonstrative whose head noun names exactly one event or initiative of the
clipping ("ce débat" → the one "Débat …").
"""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from ..model import Relation, ORG_TYPES, TERRITORY_TYPES, ACTION_TYPES
from . import coref as C
from . import text as T
from .lexicon import Lexicon
from .mentions import strip_accents

ORG = ORG_TYPES + ("Intercommunality",)
ACTOR = ORG_TYPES + TERRITORY_TYPES + ("Person",)
ANY = ORG_TYPES + TERRITORY_TYPES + ACTION_TYPES + ("Person",)
LOCAL = ("Commune", "Intercommunality", "Department", "Region")

_CUE_BEFORE = re.compile(
    r"(?<![\w'])(?:Région|région|Département|département|Ville|ville|Commune|commune|Métropole|métropole)"
    r"(?:\s+(?:de la|de l'|du|des|de|d')\s*|\s+)$")
_COMPLEMENT_BEFORE = re.compile(
    r"(?:\b(?:du|des|de|à|au|aux|par|avec|pour|chez|sur|dans|entre|vers|selon)|\bde la|\bde l'|\bd'|\bà la|\bà l')\s*$",
    re.I)
_FRONTED = re.compile(r"\s*(?:[A-ZÀ-Þ][a-zà-ÿ]*(?:é|ée|és|ées|i|ie|is|ies|u|ue|us|ues|ite|ites|te|tes)\s+"
                      r"(?:par|avec|grâce|en|à|au|dans)\b)")
_CLASSIFIER_BEFORE = re.compile(
    r"(?<!\w)(?:SCIC|Scic|SCOP|Scop|CAE|CUMA|coopérative(?: citoyenne)?|association|mutuelle|fédération|réseau|"
    r"collectif|entreprise(?: d'insertion| adaptée)?|chantier d'insertion|régie de quartier|société|fondation|"
    r"structure|PTCE|pôle)\s+$")
_POSSESSIVE_BEFORE = re.compile(r"(?<![\w'])(?:[Ss]on|[Ss]a|[Ll]eur)\s+$")
_SENT_OPENING = re.compile(r"[\s«\"(]*")
# a fronted adverbial or participial clause without any mention: "Cette année, …", "Réuni lundi en …, …"
_FRONT_CLAUSE = re.compile(r"[A-ZÀ-Þ][^,\ue000\ue001«»]{0,60},\s*")
_FRONT_PLACE = re.compile(r"(?:[A-ZÀ-Þ][a-zà-ÿ]{2,20}\s+(?:à|au|en)\s+\ue000\d+:\w+\ue001[^,\ue000\ue001]{0,40},\s*)")
_SUBJECT_START = re.compile(r"(?:(?:le|la|les|l'|un|une)\s*)?\ue000(\d+):(\w+)\ue001", re.I)
NUMBERS = {"deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9, "dix": 10}


def E(name: str, types: tuple[str, ...] | str = ANY) -> str:
    if isinstance(types, str):
        types = (types,)
    return rf"\ue000(?P<{name}>\d+):(?:{'|'.join(types)})\ue001"


ART = r"(?:(?:le|la|les|l'|un|une|du|des|de la|de l')\s*)?"
DE = r"(?:de la|de l'|des|du|de|d')\s*"
GAP = r"(?:[^\ue000\ue001.;:!?]{0,60}?)"   # a short stretch without any other mention


@dataclass
class _Span:
    start: int
    end: int


@dataclass
class _RefEntity:
    id: str
    type: str


@dataclass
class _Sent:
    start: int
    end: int
    tmpl: str
    marks: list[int]            # mention indexes in order
    anchors: list | None = None  # template position <-> text offset


class RelationRules:
    def __init__(self, lex: Lexicon):
        self.lex = lex
        roles = sorted(lex.roles, key=lambda r: -len(r.head))
        self.role_by_head = {r.head.lower(): r for r in roles}
        head_alt = "|".join(re.escape(r.head).replace(r"\ ", r"\s+") for r in roles)
        role_phrase = (
            rf"(?P<R>(?:(?:l'actuel(?:le)?|l'ancien(?:ne)?|actuel(?:le)?|ancien(?:ne)?|nouvel(?:le)?|nouveau|"
            rf"future?|premier|première)\s+)?"
            rf"(?P<head>{head_alt})(?![\w-])"
            rf"(?:\s+(?:au|à la)\s+[Mm]aire)?"
            rf"(?:\s+(?:municipale?|communautaire|générale?|régionale?|départementale?))?"
            rf"(?:\s+{DE}{E('of', ORG + LOCAL)})?"
            rf"(?:\s*\(\s*{E('party', ORG_TYPES)}\s*\))?"
            rf"(?:\s+de l'époque)?"
            rf"(?:\s*,?\s+(?:en charge|chargée?|déléguée?)\s+(?:de l'|de la |des |du |de |d'|à l'|à la |aux |au |à )"
            rf"\s*(?P<portfolio>[^,.;:()\ue000\ue001\n]{{2,80}}?)"
            rf"(?=\s*(?:[,.;:()!?]|$|\s+de la ville de|\s+de la commune de|\s+{DE}\ue000|\s+qui\b|\s+et\s+(?:la |le |l')?(?:{head_alt})\b|\s+depuis\b|\s+lors\b|\s+dans\b)))?"
            rf"(?:\s+{DE}(?:la ville de |la commune de )?{E('of2', ORG + LOCAL)})?"
            rf"(?:\s*\(\s*{E('party2', ORG_TYPES)}\s*\))?"
            rf"(?:(?:\s+{DE}[A-ZÀ-Þ][^,.;:()\ue000\ue001]{{1,60}}?)?\s*,\s*(?:à la|au|à l'|auprès de la|auprès du)\s*"
            rf"{E('of3', ORG)})?"
            rf"(?:\s+(?:à la|au|à l'|auprès de la|auprès du|auprès de l')\s*{E('of4', ORG + LOCAL)})?"
            rf"(?:\s+(?:depuis|en)\s+(?:19|20)\d\d)?)"
        )
        self.role_phrase = role_phrase
        flags = re.I
        self.r_role_right = re.compile(rf"{E('p', 'Person')}\s*,\s*(?:la |le |l'|notre |son |sa )?{role_phrase}", flags)
        self.r_role_left = re.compile(rf"{role_phrase}\s*,\s*{E('p', 'Person')}", flags)
        self.r_role_verb = re.compile(
            rf"{E('p', 'Person')}\s*,?\s+(?:est|était|a été|devient|est devenue?|reste|, élue?)\s+"
            rf"(?:(?:élue?|nommée?|réélue?)\s+)?(?:la |le |l')?{role_phrase}", flags)
        self.r_role_pron = re.compile(
            rf"(?<![\w'])(?P<pron>il|elle)\s+(?:est|était|a été|devient|est devenue?)\s+(?:(?:élue?|nommée?|réélue?)\s+)?"
            rf"(?:la |le |l')?{role_phrase}", flags)
        self.r_chain = re.compile(rf"\s+et\s+(?:la |le |l')?{role_phrase}", flags)
        self.r_vp = re.compile(
            r"(?:se voit confier|obtient|a obtenu|prend|assure)\s+la\s+vice-présidence\s+(?:à l'|à la |aux |au |à |de l'|de la |du |des )"
            r"(?P<portfolio>[^,.;:()\ue000\ue001\n]{2,60})", flags)
        # presides
        self.r_presided = re.compile(rf"(?:présidée?s?|animée?s?)\s+par\s+{E('p', 'Person')}", flags)
        # memberOf
        self.r_regroup = re.compile(
            r"(?:se regroupent|se sont regroupées|se réunissent|se sont réunies|s'unissent|se sont unies|"
            r"s'associent au sein|se rassemblent|se sont rassemblées)\s+(?:au sein d'|au sein de|au sein du|dans|en)\s*"
            rf"{ART}(?:{E('g', ORG)}\s*,?\s*{ART})?{E('o', ORG)}", flags)
        self.r_member = re.compile(rf"(?:membres?|adhérente?s?)\s+{DE}{E('o', ORG)}", flags)
        self.r_join = re.compile(
            rf"(?:adhère|adhèrent|a adhéré|ont adhéré|a rejoint|ont rejoint|rejoint|rejoignent|rejoigne|intègre|a intégré|"
            rf"(?:l'|son |leur )?entrée au capital|entre au capital|entrent au capital|est entrée? au capital|"
            rf"devient sociétaire|deviennent sociétaires|est sociétaire|sont sociétaires)"
            rf"\s+(?:à |au |aux |à la |à l')?{ART}{E('o', ORG)}", flags)
        self.r_adhesion = re.compile(
            rf"(?P<poss>votre|notre|son|sa|leur|l')\s*adhésion\s+(?:de\s+{ART}{E('s', ACTOR)}\s+)?"
            rf"(?:au |à la |à l'|aux |à )\s*{E('o', ORG)}", flags)
        # supplies
        self.r_supplier = re.compile(
            rf"fournisseu(?:r|rs|se|ses)\s+(?:[\w'-]+\s+){{0,3}}?(?:de |d'|du |des |de la |de l'|à |au |pour )\s*{E('o', ORG + LOCAL)}",
            flags)
        self.r_supply = re.compile(
            rf"(?:fournit|fournissent|approvisionne|approvisionnent|alimente|alimentent|livre|livrent|vend|vendent)"
            rf"\s+(?:[\w'-]+\s+){{0,6}}?(?:à |au |aux |à la |à l')?\s*{ART}{E('o', ORG + LOCAL)}", flags)
        # funds
        self.r_funded_by = re.compile(
            rf"(?:financée?s?|subventionnée?s?|cofinancée?s?|co-financée?s?|soutenue?s? financièrement)\s+"
            rf"(?:[\w'-]+\s+){{0,3}}?par\s+{ART}{E('s', ACTOR)}"
            rf"(?:\s*(?:,|et)\s*(?:par\s+)?{ART}{E('s2', ACTOR)})?", flags)
        self.r_funds = re.compile(
            rf"(?:finance|financent|a financé|ont financé|subventionne|subventionnent|a subventionné|ont subventionné|"
            rf"cofinance|cofinancent|soutient financièrement|soutiennent financièrement|verse|versent|a versé|ont versé|"
            rf"accorde|accordent|a accordé|ont accordé|alloue|a alloué|attribue|a attribué)"
            rf"\s+(?:[\w'%€-]+\s+){{0,8}}?(?:à |au |aux |à la |à l')?\s*{ART}{E('o', ORG + ACTION_TYPES + ('Person',))}",
            flags)
        self.r_grant = re.compile(
            rf"(?:vote|votent|a voté|ont voté|accorde|accordent|a accordé|ont accordé|attribue|attribuent|a attribué|"
            rf"verse|versent|a versé|alloue|a alloué|octroie|a octroyé|débloque|a débloqué)\s+(?:[\w'%€-]+\s+){{0,3}}?"
            rf"(?:une |la |sa |leur |un |son )?(?:subvention|aide|dotation|enveloppe|avance|prêt|financement|somme)"
            rf"\s+(?:[\w'%€,.-]+\s+){{0,6}}?(?:à |au |aux |à la |à l'|pour )\s*{ART}{E('o', ORG + ACTION_TYPES + ('Person',))}",
            flags)
        self.r_benefit = re.compile(
            rf"(?:bénéficie|bénéficient|a bénéficié|ont bénéficié)\s+d'(?:un |une )?(?:prêt|subvention|aide|financement|avance|"
            rf"soutien financier|dotation)\s+(?:[\w'%€-]+\s+){{0,4}}?{DE}{E('s', ACTOR)}", flags)
        self.r_fin_support = re.compile(
            rf"(?:avec le soutien financier|grâce au financement|grâce à une subvention|avec une subvention|"
            rf"avec le financement|avec l'appui financier)\s+{DE}{E('s', ACTOR)}"
            rf"(?:\s*(?:,|et)\s*{DE}{E('s2', ACTOR)})?", flags)
        # locatedIn
        self.r_in_dept = re.compile(rf"\s*,?\s*(?:dans|en)\s+(?:le |la |les |l')?{E('d', ('Department', 'Region'))}", flags)
        self.r_paren_dept = re.compile(rf"\s*\(\s*{E('d', ('Department', 'Region'))}\s*\)", flags)
        self.r_at = re.compile(
            rf"\s*,?\s*(?:qui se (?:tien\w*|déroule\w*)\s+|se (?:tien\w*|déroule\w*)\s+|"
            rf"(?:qui\s+)?(?:est\s+|sont\s+|s'est\s+|se sont\s+)?(?:basée?s?|installée?s?|implantée?s?|"
            rf"située?s?|organisée?s?|fondée?s?|créée?s?|née?s?)\s+)?(?:à|au)\s+{E('t', ('Commune', 'Country', 'Region'))}",
            flags)
        self.r_takes_place = re.compile(
            rf"(?:se tien\w*|aura lieu|auront lieu|a eu lieu|ont eu lieu|avait lieu|se déroul\w*|se tenai\w*|"
            rf"fera étape|feront étape|fait étape|passera|s'arrêtera)"
            rf"\s+(?:[\w'-]+\s+){{0,4}}?(?:à|au)\s+{E('t', ('Commune', 'Country', 'Region'))}"
            rf"(?:\s*(?:,|et)\s*(?:à|au)\s+{E('t2', ('Commune', 'Country', 'Region'))})?", flags)
        self.r_fronted_at = re.compile(
            rf"\s*(?:Installée?s?|Basée?s?|Implantée?s?|Située?s?|Née?s?|Fondée?s?|Créée?s?)\s+(?:en \d{{4}}\s+)?"
            rf"(?:à|au)\s+{E('t', ('Commune', 'Country', 'Region'))}[^,\ue000]{{0,40}},")
        self.r_org_place = re.compile(
            rf"\s*(?:\(\s*\ue000\d+:\w+\ue001\s*\)\s*(?:de la |de l'|du |de |d')|\s)\s*{E('t', ('Region', 'Department'))}",
            flags)
        self.r_sent_at = re.compile(rf"^(?:À|A|Au|En)\s+{E('t', TERRITORY_TYPES)}\s*,\s*{GAP}{E('x', ORG)}", flags)
        # implements
        self.r_impl = re.compile(
            rf"(?:met en œuvre|met en oeuvre|mettent en œuvre|mettent en oeuvre|a mis en œuvre|a mis en oeuvre|"
            rf"met en place|mettent en place|a mis en place|ont mis en place|adopte|adoptent|a adopté|ont adopté|"
            rf"lance|lancent|a lancé|ont lancé|vote|votent|a voté|ont voté|pilote|pilotent|déploie|déploient|a déployé|"
            rf"applique|appliquent|a signé|signe|signent|ont signé|porte|portent|a élaboré|élabore)"
            rf"\s+(?:[\w'-]+\s+){{0,3}}?{ART}{E('o', 'Policy')}", flags)
        self.r_policy_of = re.compile(rf"\s+{DE}{E('s', ORG + LOCAL)}", flags)
        self.r_adopted_by = re.compile(
            rf"(?:adoptée?s?|votée?s?|portée?s?|pilotée?s?|lancée?s?|mise?s? en (?:œuvre|oeuvre|place)|"
            rf"élaborée?s?)\s+(?:[\w'-]+\s+){{0,3}}?par\s+{ART}{E('s', ORG + LOCAL)}", flags)
        # organizes
        self.r_organized_by = re.compile(
            rf"(?:organisée?s?|co-?organisée?s?|coorganisée?s?|coordonnée?s?|proposée?s? par)\s+(?:par\s+)?{ART}{E('s', ACTOR)}"
            rf"(?:\s*(?:,|et)\s*{ART}{E('s2', ACTOR)})?", flags)
        self.r_organizes = re.compile(
            rf"(?:organise|organisent|organisera|organiseront|a organisé|ont organisé|co-organise|coorganise|"
            rf"lance|lancent|lancera|a lancé|ont lancé|"
            rf"accueille|accueillent|a accueilli|propose|proposent|anime|animent)"
            rf"\s+(?:(?:à|au|en)\s+{E('at', ('Commune', 'Department', 'Region', 'Country'))}\s+)?"
            rf"(?:[\w'-]+\s+){{0,3}}?{ART}{E('o', ('Event', 'Initiative'))}", flags)
        self.r_initiative_of = re.compile(
            rf"(?:à l'initiative|sous l'égide|à l'invitation)\s+{DE}{E('s', ACTOR)}", flags)
        # createdBy
        self.r_created_by = re.compile(
            rf"(?:créée?s?|fondée?s?|initiée?s?|imaginée?s?|lancée?s?)\s+(?:en \d{{4}}\s+)?par\s+{ART}{E('s', ACTOR)}",
            flags)
        self.r_creates = re.compile(
            rf"(?:a créé|ont créé|crée|créent|a fondé|ont fondé|fonde|fondent|a cofondé|cofonde)"
            rf"\s+(?:[\w'-]+\s+){{0,3}}?{ART}{E('o', ORG_TYPES + ('Initiative',))}", flags)
        # participatesIn
        self.r_particip = re.compile(
            rf"(?:participe|participent|a participé|ont participé|prend part|prennent part|a pris part|ont pris part|"
            rf"est intervenue?|sont intervenue?s|intervient|interviendra|interviennent|était présente?)"
            rf"\s+(?:[\w'-]+\s+){{0,3}}?(?:à |au |aux |lors de |lors du |lors des |dans le cadre de |dans le cadre du )"
            rf"\s*(?:la |l'|le |les )?{E('o', ACTION_TYPES)}", flags)
        self.r_laureate = re.compile(rf"(?:lauréate?s?|finalistes?|primée?s?)\s+(?:en \d{{4}}\s+)?(?:du|de la|de l'|des|au)\s*{E('o', ACTION_TYPES)}",
                                     flags)
        # selection for a programme: "a obtenu l'habilitation TZCLD" (implements, the annotation
        # convention for an authorised territory), "a été sélectionnée dans le cadre de l'appel à projets X",
        # "a été retenue pour X" (participatesIn); relation_kind() reads the finer kind off the sentence
        self.r_habilitation = re.compile(
            rf"(?:obtenir|obtient|obtiennent|a obtenu|ont obtenu|reçoit|a reçu|ont reçu|décroche|a décroché)\s+"
            rf"(?:l'|son |leur |une |la )?(?:habilitation|label)\s+(?:au titre d[eu]\s+|pour\s+|d[eu]\s+|à\s+)?"
            rf"{ART}{E('o', ('Policy', 'Initiative'))}", flags)
        self.r_habilitated = re.compile(
            rf"(?:est|sont|a été|ont été|vient d'être|viennent d'être)\s+(?:officiellement\s+)?habilitée?s?\s+"
            rf"(?:au titre d[eu]\s+|pour\s+|à\s+|dans le cadre d[eu]\s+|par\s+)?{ART}{E('o', ('Policy', 'Initiative'))}",
            flags)
        self.r_selected = re.compile(
            rf"(?:a été|ont été|est|sont|vient d'être|viennent d'être)\s+(?:sélectionnée?s?|retenue?s?|"
            rf"désignée?s? lauréate?s?|déclarée?s? lauréate?s?)\s+(?:[\w'-]+\s+){{0,3}}?"
            rf"(?:dans le cadre d[eu']\s*|au titre d[eu']\s*|pour\s+|à\s+|par\s+|parmi\s+)"
            rf"{ART}{E('o', ('Policy', 'Initiative', 'Event'))}", flags)
        # partnerOf
        self.r_between = re.compile(
            rf"(?:collaboration|partenariat|coopération|convention|accord|alliance|contrat)\s+(?:[\w'-]+\s+){{0,2}}?"
            rf"entre\s+{ART}{E('a', ACTOR)}\s+et\s+{ART}{E('b', ACTOR)}", flags)
        self.r_with = re.compile(
            rf"(?:en partenariat|en lien|en collaboration|en association|en coopération|main dans la main)\s+avec\s+{ART}{E('b', ACTOR)}",
            flags)
        self.r_sign_with = re.compile(
            rf"(?:s'associe|s'associent|s'allie|s'allient|a signé une convention|signe une convention|signent une convention|"
            rf"a noué un partenariat|noue un partenariat|a conclu un partenariat|conclut un partenariat|"
            rf"a signé un partenariat|signe un partenariat|travaille avec|travaillent avec|coopère avec|coopèrent avec)"
            rf"\s+(?:[\w'-]+\s+){{0,3}}?(?:avec |à |au |aux )?{ART}{E('b', ACTOR)}", flags)
        self.r_marker = re.compile(r"\ue000(\d+):(\w+)\ue001")
        # ---- rules whose phrases are data (rules.yaml: relation_verbs) and coreference
        self.coref = C.Coreference(lex)
        verbs = C.rule_data(lex)["relation_verbs"]
        public = TERRITORY_TYPES + ("PublicBody",)
        if verbs.get("supported_by_public"):
            self.r_supported_public = re.compile(
                rf"(?<![\w'])(?:{C.phrase_alt(verbs['supported_by_public'], participle=True)})\s+"
                rf"(?:[\w'-]+\s+){{0,3}}?par\s+{ART}{E('s', public)}"
                rf"(?:\s*(?:,|et)\s*(?:par\s+)?{ART}{E('s2', public)})?", flags)
        else:
            self.r_supported_public = None
        self.r_carried_by = re.compile(
            rf"(?<![\w'])(?:{C.phrase_alt(verbs.get('carried_by') or ['porté'], participle=True)})\s+"
            rf"(?:[\w'-]+\s+){{0,3}}?par\s+{ART}{E('s', ACTOR)}", flags)
        self.r_carries = re.compile(
            rf"(?<![\w'])(?:{C.phrase_alt(verbs.get('carries') or ['porte'])})\s+(?:[\w'-]+\s+){{0,3}}?"
            rf"{ART}{E('o', ('Initiative', 'Event'))}", flags)
        self.r_created_initiative = re.compile(
            rf"(?<![\w'])(?:{C.phrase_alt(verbs.get('created_on_initiative') or ['créé'], participle=True)})\s+"
            rf"(?:en \d{{4}}\s+)?(?:à l'initiative|sur l'initiative|sous l'impulsion)\s+{DE}{E('s', ACTOR)}", flags)
        self.r_alongside = re.compile(
            rf"(?<![\w'])(?:{C.phrase_alt(verbs.get('alongside') or ['aux côtés de'])})\s*{ART}"
            rf"{E('b', ORG + LOCAL + ('Country',))}", flags)
        more = verbs.get("organizes_more") or []
        self.r_organizes_more = re.compile(
            rf"(?<![\w'])(?:{C.phrase_alt(more)})\s+(?:(?:à|au|en)\s+{E('at', ('Commune', 'Department', 'Region', 'Country'))}\s+)?"
            rf"(?:[\w'-]+\s+){{0,3}}?{ART}{E('o', ('Event', 'Initiative'))}", flags) if more else None
        self.r_plural = re.compile(
            r"(?<![\w'])(?:les|ces|nos)\s+(?P<n>deux|trois|quatre|cinq|six|sept|huit|neuf|dix|\d+)\s+"
            r"(?:communes|villes|villages|municipalités)\b", re.I)
        self.r_demonstr = re.compile(r"(?<![\w'])(?:ce|cet|cette|ces)\s+(?P<h>[\w-]+)", re.I)
        # anaphors by type
        ana = []
        for typ, words in lex.anaphors.items():
            for w in words:
                ana.append((w, typ))
        self.anaphor_type = {w.lower(): t for w, t in ana}
        self.r_anaphor = re.compile(
            r"(?<![\w'])(?:" + "|".join(re.escape(w) for w, _ in sorted(ana, key=lambda x: -len(x[0]))) + r")(?![\w'])",
            re.I)

    # ------------------------------------------------------------------
    def extract(self, doc) -> list[Relation]:
        self.doc = doc
        self.starts = [m.start for m in doc.mentions]
        self.out: list[Relation] = []
        self.seen: dict[tuple, int] = {}
        # definite descriptions resolved to their antecedent become markers with virtual indexes
        refs = self.coref.find(doc)
        base = len(doc.mentions)
        self.virtual = {base + k: r for k, r in enumerate(refs)}
        self.ref_starts = [r.start for r in refs]
        self.refs = refs
        blocks = T.blocks(doc.text)
        self.block_of: list[int] = []
        bi = 0
        for sp in doc.sentences:
            while bi + 1 < len(blocks) and blocks[bi].end <= sp.start:
                bi += 1
            self.block_of.append(bi)
        sents = [self._template(s) for s in doc.sentences]
        self.sents = sents
        for si, s in enumerate(sents):
            if not s.marks and not self.r_anaphor.search(s.tmpl):
                continue
            self.si = si
            self.cur = s
            self._roles(s)
            self._more(s)
            self._presides(s)
            self._member(s, si)
            self._supplies(s)
            self._funds(s)
            self._located(s)
            self._implements(s)
            self._organizes(s)
            self._created(s)
            self._particip(s)
            self._partner(s)
        self._nested(doc)
        return self.out

    # ------------------------------------------------------------------
    def _template(self, span) -> _Sent:
        doc = self.doc
        parts = []
        pos = span.start
        marks = []
        anchors: list[tuple[int, int, int, int]] = []   # (tmpl_start, tmpl_end, abs_start, abs_end)
        tlen = 0
        outer_end = -1
        items = []
        first = bisect_left(self.starts, span.start)
        for mi in range(first, len(doc.mentions)):
            m = doc.mentions[mi]
            if m.start >= span.end:
                break
            items.append((m.start, 0, len(items), m.end, mi))
        base = len(doc.mentions)
        for k in range(bisect_left(self.ref_starts, span.start), len(self.refs)):
            r = self.refs[k]
            if r.start >= span.end:
                break
            items.append((r.start, 1, len(items), r.end, base + k))
        # references never overlap a mention; mentions keep their order (the outer one first)
        items.sort()
        items = [(a, b, mi) for a, _, _, b, mi in items]
        for m_start, m_end, mi in items:
            m = _Span(m_start, m_end)
            if m.end > span.end or m.start < outer_end:
                continue   # crosses the sentence end, or nested in the previous mention
            ent = self._entity(mi)
            before = doc.text[pos:m.start]
            if ent.type in ("Commune", "Department", "Region", "Intercommunality"):
                # "la Région Occitanie", "le Département de l'Isère", "la commune de Libourne": the cue
                # word belongs to the mention for the rules
                before = _CUE_BEFORE.sub("", before)
            elif ent.type in ORG_TYPES:
                before = _CLASSIFIER_BEFORE.sub("", before)   # "la SCIC Mangeons Local"
            parts.append(before)
            anchors.append((tlen, tlen + len(before), pos, pos + len(before)))
            tlen += len(before)
            marker = f"\ue000{mi}:{ent.type}\ue001"
            parts.append(marker)
            anchors.append((tlen, tlen + len(marker), pos + len(before), m.end))  # removed cue belongs to it
            tlen += len(marker)
            marks.append(mi)
            pos = m.end
            outer_end = m.end
        rest = doc.text[pos:span.end]
        parts.append(rest)
        anchors.append((tlen, tlen + len(rest), pos, span.end))
        sent = _Sent(span.start, span.end, "".join(parts), marks)
        sent.anchors = anchors
        return sent

    def _entity(self, mention_index: int):
        ref = self.virtual.get(mention_index)
        if ref is not None:
            return _RefEntity(ref.entity, ref.type)
        return self.doc.entities[self.doc.ent_of[mention_index]]

    def _eid(self, mention_index: str | int) -> str:
        """Entity id of a marker; a reference's id carries whether it is sure (see ``coref.tag``)."""
        mi = int(mention_index)
        ref = self.virtual.get(mi)
        if ref is not None:
            return C.tag(ref.entity, ref.sure)
        return self.doc.entities[self.doc.ent_of[mi]].id

    def _etype(self, mention_index: str | int) -> str:
        return self._entity(int(mention_index)).type

    def _add(self, s: str, p: str, o: str, rule: str, *, candidate: bool = False, role: str | None = None,
             portfolio: str | None = None) -> None:
        s, s_tag = C.untag(s)
        o, o_tag = C.untag(o)
        if s == o:
            return
        if s_tag or o_tag:
            if not rule.startswith("coref-"):
                rule = "coref-" + rule
            if "unsure" in (s_tag, o_tag):
                candidate = True
        key = (s, p, o, role if p == "hasRole" else None)
        text = self.doc.clipping.text
        if key in self.seen:
            r = self.out[self.seen[key]]
            if r.candidate and not candidate:
                r.candidate = False
                r.rule = rule
            return
        sent = self.cur
        rel = Relation(subject=s, predicate=p, object=o, evidence=text[sent.start:sent.end],
                       evidence_start=sent.start, evidence_end=sent.end, role=role, portfolio=portfolio,
                       candidate=candidate, rule=rule,
                       date=self.doc.clipping.date if p == "hasRole" else None)
        self.seen[key] = len(self.out)
        self.out.append(rel)

    def _first_mark_after(self, s: _Sent, pos: int, types: tuple[str, ...]) -> int | None:
        for m in self.r_marker.finditer(s.tmpl, pos):
            if m.group(2) in types:
                return int(m.group(1))
        return None

    @staticmethod
    def _fronted(t: str, pos: int) -> bool:
        """Is ``pos`` inside a fronted participial clause ("Organisé par X, avec …, le Mois …")?"""
        m = _FRONTED.match(t)
        if m is None:
            return False
        comma = t.find(",", m.end())
        return comma == -1 or pos < comma

    def _last_mark_before(self, s: _Sent, pos: int, types: tuple[str, ...]) -> int | None:
        best = None
        for m in self.r_marker.finditer(s.tmpl, 0, pos):
            if m.group(2) in types:
                best = int(m.group(1))
        return best

    def _antecedent(self, types: tuple[str, ...], before: int, max_sents: int = 4) -> str | None:
        """Nearest entity of the given types mentioned before char offset ``before``."""
        doc = self.doc
        lo = self.sents[max(0, self.si - max_sents)].start
        best = None
        outer_end = -1
        first = bisect_left(self.starts, lo)
        # a mention nested in one that starts before ``lo`` is still recognised as nested
        j = first - 1
        while j >= 0 and j >= first - 20:
            outer_end = max(outer_end, doc.mentions[j].end)
            j -= 1
        for mi in range(first, len(doc.mentions)):
            m = doc.mentions[mi]
            if m.start >= before:
                break
            nested = m.start < outer_end
            outer_end = max(outer_end, m.end)
            if nested:
                continue   # a place inside a name ("Mutuelle générale d'Avignon") is no antecedent
            ent = doc.entities[doc.ent_of[mi]]
            if ent.type in types:
                best = ent.id
        return best

    def _abs(self, s: _Sent, tmpl_pos: int) -> int:
        """Offset in the clipping text of a template position."""
        for ts, te, a_s, a_e in s.anchors:
            if ts <= tmpl_pos < te or (tmpl_pos == te and te == ts):
                if te - ts == a_e - a_s:
                    return a_s + (tmpl_pos - ts)
                return a_s if tmpl_pos == ts else a_e
        return s.end

    def _subject_before(self, s: _Sent, pos: int, types: tuple[str, ...]) -> tuple[str | None, bool]:
        """Subject of a verb at template position ``pos``: the last mention before it in the
        sentence (asserted), else an anaphor resolved to a candidate."""
        clause_start = 0
        mi = None
        for m in reversed(list(self.r_marker.finditer(s.tmpl, 0, pos))):
            if m.group(2) not in types:
                continue
            if _COMPLEMENT_BEFORE.search(s.tmpl, 0, m.start()):
                continue        # "… membre du réseau Cocagne et participe": Cocagne is no subject
            mi = int(m.group(1))
            break
        ana = None
        for m in self.r_anaphor.finditer(s.tmpl, clause_start, pos):
            ana = m
        if ana is not None:
            # an anaphor closer to the verb than the last mention wins
            last_mark = None
            for m in self.r_marker.finditer(s.tmpl, 0, pos):
                last_mark = m
            if last_mark is None or ana.start() > last_mark.end():
                t = self.anaphor_type.get(ana.group(0).lower())
                want = _compatible(t, types)
                eid = self._antecedent(want, self._abs(s, ana.start()))
                return eid, True
        if mi is not None:
            return self._eid(mi), False
        return None, False

    # ------------------------------------------------------------------
    def _sent_subject(self, s: _Sent) -> tuple[int | None, int]:
        """Marker that opens the sentence as its subject (after quotes and a fronted clause)."""
        t = s.tmpl
        pos = _SENT_OPENING.match(t).end()
        if "«" in t[:pos]:
            return None, pos        # opens with a quotation: the subject, if any, is inverted after it
        m = _FRONT_PLACE.match(t, pos) or _FRONT_CLAUSE.match(t, pos)
        if m is not None and not _SUBJECT_START.match(t, pos):
            pos = m.end()
        m = _SUBJECT_START.match(t, pos)
        if m is None:
            return None, pos
        return int(m.group(1)), m.end()

    def _possessor(self, s: _Sent, pos: int) -> str | None:
        """Owner of a possessive determiner at template position ``pos`` (tagged id, see coref)."""
        subj, subj_end = self._sent_subject(s)
        if subj is not None and subj_end > pos:
            subj = None             # "Son président, X, …": the possessive opens the sentence
        if subj is not None and self._etype(subj) in C.ORG_OR_LOCAL:
            return self._sure(subj)
        opening = _SENT_OPENING.match(s.tmpl).end()
        quoted = "«" in s.tmpl[:opening]
        if subj is None and (quoted or pos <= opening):
            si = self.si
            if si > 0 and self.block_of[si - 1] == self.block_of[si]:
                prev = self.sents[si - 1]
                psubj, _ = self._sent_subject(prev)
                if psubj is not None and self._etype(psubj) in C.ORG_OR_LOCAL:
                    return self._sure(psubj)
        ante = self._antecedent(C.ORG_OR_LOCAL, self._abs(s, pos), max_sents=2)
        return C.tag(ante, False) if ante is not None else None

    def _possessive_opening(self, s: _Sent) -> str | None:
        """Possessor when the sentence opens with "Son/Sa/Ses/Leur(s) …"."""
        m = re.match(r"[\s«\"(]*(?:Son|Sa|Ses|Leur|Leurs)\s", s.tmpl)
        if m is None:
            return None
        return self._possessor(s, 0)

    def _sure(self, mention_index: int) -> str:
        """Tagged id of a marker reached through a possessive: sure unless the marker is an unsure reference."""
        eid = self._eid(mention_index)
        base, tag_ = C.untag(eid)
        return C.tag(base, tag_ != "unsure")

    def _more(self, s: _Sent) -> None:
        """Rules whose phrases are data (rules.yaml: relation_verbs)."""
        t = s.tmpl
        if self.r_supported_public is not None:
            for m in self.r_supported_public.finditer(t):
                obj = self._passive_object(s, m, ORG_TYPES + ACTION_TYPES)
                if obj is not None:
                    for g in ("s", "s2"):
                        if m.group(g):
                            self._add(self._eid(m.group(g)), "funds", obj, "supported-by-public")
        for m in self.r_carried_by.finditer(t):
            obj = self._passive_object(s, m, ("Initiative", "Event"), possessive=False)
            if obj is not None:
                self._add(self._eid(m.group("s")), "organizes", obj, "carried-by")
        for m in self.r_carries.finditer(t):
            sub, cand = self._subject_before(s, m.start(), ACTOR)
            if sub:
                self._add(sub, "organizes", self._eid(m.group("o")), "carries", candidate=cand)
        for m in self.r_created_initiative.finditer(t):
            obj = self._passive_object(s, m, ORG_TYPES + ("Initiative",), possessive=False)
            if obj is not None:
                self._add(obj, "createdBy", self._eid(m.group("s")), "created-on-initiative")
        for m in self.r_alongside.finditer(t):
            sub, cand = self._subject_before(s, m.start(), ORG + LOCAL + ("Country",))
            if sub:
                self._add(sub, "partnerOf", self._eid(m.group("b")), "alongside", candidate=cand)
        if self.r_organizes_more is not None:
            for m in self.r_organizes_more.finditer(t):
                sub, cand = self._subject_before(s, m.start(), ACTOR)
                if sub:
                    self._add(sub, "organizes", self._eid(m.group("o")), "organizes", candidate=cand)
                if m.group("at"):
                    self._add(self._eid(m.group("o")), "locatedIn", self._eid(m.group("at")), "organizes-at")

    def _passive_object(self, s: _Sent, m, types: tuple[str, ...], possessive: bool = True) -> str | None:
        """What a passive participle ("… soutenu par X") is about: the mention before it, or after a
        fronted participial clause, or the possessor of a sentence opening with "Son/Ses …"."""
        t = s.tmpl
        if self._fronted(t, m.start()):
            obj = self._first_mark_after(s, m.end(), types)
        else:
            obj = self._last_mark_before(s, m.start(), types)
        if obj is not None:
            return self._eid(obj)
        return self._possessive_opening(s) if possessive else None

    def _role_rel(self, s: _Sent, m: re.Match, person: str, candidate: bool, rule: str) -> None:
        head = re.sub(r"\s+", " ", m.group("head")).lower()
        rh = self.role_by_head.get(head)
        obj = m.group("of3") or m.group("of") or m.group("of2") or m.group("of4")
        a, b = self._abs(s, m.start("R")), self._abs(s, m.end("R"))
        label = re.sub(r"\s+", " ", self.doc.clipping.text[a:b])
        label = re.sub(r"\s*\([^)]*\)\s*", " ", label).strip(" ,")
        portfolio = m.group("portfolio")
        if portfolio:
            portfolio = portfolio.strip()
        for party in (m.group("party"), m.group("party2")):
            if party is not None:
                self._add(person, "memberOf", self._eid(party), "role-party", candidate=candidate)
        if obj is not None:
            oid = self._eid(obj)
            self._add(person, "hasRole", oid, rule, candidate=candidate, role=label, portfolio=portfolio)
            if rh is not None and rh.presides:
                self._add(person, "presides", oid, rule + "+presides", candidate=candidate)
        elif (pm := _POSSESSIVE_BEFORE.search(s.tmpl, max(0, m.start("R") - 8), m.start("R"))) is not None:
            # "son président, X", "X, sa directrice": the possessor is the subject of the sentence or
            # of the previous one
            owner = self._possessor(s, pm.start())
            if owner is not None:
                self._add(person, "hasRole", owner, rule + "-possessive", candidate=candidate, role=label,
                          portfolio=portfolio)
                if rh is not None and rh.presides:
                    self._add(person, "presides", owner, rule + "-possessive+presides", candidate=candidate)
        elif rh is not None and rh.slug in ("maire", "adjoint", "maire-adjoint", "conseiller-municipal",
                                            "conseiller-delegue"):
            # a local post without its commune: the clipping's main commune, for review
            main = self._antecedent(("Commune",), self._abs(s, m.start()))
            if main is not None:
                self._add(person, "hasRole", main, rule + "-implicit", candidate=True, role=label,
                          portfolio=portfolio)
        # chained: "maire de Guillestre (EELV) et président du Sivu"
        tail = s.tmpl[m.end():]
        c = self.r_chain.match(tail)
        if c is not None:
            self._role_rel(s, _Shift(c, m.end()), person, candidate, rule + "-chain")

    def _roles(self, s: _Sent) -> None:
        t = s.tmpl
        for m in self.r_role_right.finditer(t):
            self._role_rel(s, m, self._eid(m.group("p")), False, "role-apposition")
        for m in self.r_role_left.finditer(t):
            # "A, adjointe au maire, B, ..." : the role belongs to A, not to B
            if re.search(r"\ue000\d+:Person\ue001\s*,\s*(?:la |le |l')?$", t[:m.start("R")]):
                continue
            self._role_rel(s, m, self._eid(m.group("p")), False, "role-apposition-left")
        for m in self.r_role_verb.finditer(t):
            self._role_rel(s, m, self._eid(m.group("p")), False, "role-copula")
        for m in self.r_role_pron.finditer(t):
            ante = self._antecedent(("Person",), self._abs(s, m.start()))
            if ante is not None:
                self._role_rel(s, m, ante, True, "role-pronoun")
                vp = self.r_vp.search(t, m.end())
                if vp is not None:
                    org = m.group("of") or m.group("of2")
                    if org is not None:
                        self._add(ante, "hasRole", self._eid(org), "role-pronoun-vp", candidate=True,
                                  role="vice-président", portfolio=vp.group("portfolio").strip())

    def _presides(self, s: _Sent) -> None:
        for m in self.r_presided.finditer(s.tmpl):
            person = self._eid(m.group("p"))
            before = s.tmpl[:m.start()]
            obj = self._last_mark_before(s, m.start(), ORG + ACTION_TYPES)
            if obj is not None:
                self._add(person, "presides", self._eid(obj), "presided-by")
                continue
            dm = None
            for d in self.r_demonstr.finditer(before):
                dm = d
            if dm is not None:
                eid, sure = self._resolve_head(dm.group("h"), self._abs(s, dm.start()))
                if eid is not None:
                    self._add(person, "presides", eid, "presided-by-demonstrative", candidate=not sure)

    def _member(self, s: _Sent, si: int) -> None:
        t = s.tmpl
        for m in self.r_regroup.finditer(t):
            obj = self._eid(m.group("o"))
            subs = self._coordinated_before(s, m.start(), ("Commune", "Intercommunality", "Department") + ORG_TYPES)
            if subs:
                for sub in subs:
                    self._add(sub, "memberOf", obj, "regroup")
                continue
            pl = None
            for p in self.r_plural.finditer(t, 0, m.start()):
                pl = p
            if pl is not None:
                n = NUMBERS.get(pl.group("n").lower()) or int(pl.group("n")) if pl.group("n").isdigit() or \
                    pl.group("n").lower() in NUMBERS else None
                group = self._recent_coordination(s, si, n, self._abs(s, pl.start()))
                if group:
                    for sub in group:
                        self._add(sub, "memberOf", obj, "regroup-plural-anaphor")
                else:
                    ante = self._antecedent(("Commune",), self._abs(s, pl.start()))
                    if ante:
                        self._add(ante, "memberOf", obj, "regroup-plural-anaphor", candidate=True)
        for rx, rule in ((self.r_member, "member-of"), (self.r_join, "joins")):
            for m in rx.finditer(t):
                obj = self._eid(m.group("o"))
                verb = re.search(r"\s*(?:,\s*)?(?:ont|a|sont|est|vont|va)?\s*$", t[:m.start()])
                subs = self._coordinated_before(s, verb.start() if verb else m.start(), ACTOR)
                if len(subs) > 1:
                    for sub in subs:
                        self._add(sub, "memberOf", obj, rule + "-coordinated")
                    continue
                sub, cand = self._subject_before(s, m.start(), ACTOR)
                if sub:
                    self._add(sub, "memberOf", obj, rule, candidate=cand)
        for m in self.r_adhesion.finditer(t):
            obj = self._eid(m.group("o"))
            if m.group("s"):
                self._add(self._eid(m.group("s")), "memberOf", obj, "adhesion")
            else:
                main = self._antecedent(("Commune", "Intercommunality", "Department", "Region"),
                                        self._abs(s, m.start()), max_sents=6)
                if main:
                    self._add(main, "memberOf", obj, "adhesion-implicit", candidate=True)

    def _supplies(self, s: _Sent) -> None:
        for rx, rule in ((self.r_supplier, "supplier-of"), (self.r_supply, "supplies")):
            for m in rx.finditer(s.tmpl):
                sub, cand = self._subject_before(s, m.start(), ACTOR)
                if sub:
                    self._add(sub, "supplies", self._eid(m.group("o")), rule, candidate=cand)

    def _funds(self, s: _Sent) -> None:
        t = s.tmpl
        for m in self.r_funded_by.finditer(t):
            obj = self._last_mark_before(s, m.start(), ORG + ACTION_TYPES + ("Person",))
            if self._fronted(t, m.start()):
                obj = self._first_mark_after(s, m.end(), ORG_TYPES + ACTION_TYPES)
            funders = [m.group("s")] + ([m.group("s2")] if m.group("s2") else [])
            if obj is not None:
                for f in funders:
                    self._add(self._eid(f), "funds", self._eid(obj), "funded-by")
                continue
            owner = self._possessive_opening(s)
            if owner is not None:
                # "Ses premières installations ont été subventionnées par X": X funds the possessor
                for f in funders:
                    self._add(self._eid(f), "funds", owner, "possessive-funded-by")
            else:
                # "Le projet est financé par X": what the project is, is left for review
                ante = self._antecedent(ORG_TYPES + ("Initiative", "Event"), self._abs(s, m.start()), max_sents=2)
                if ante is not None:
                    self._add(self._eid(m.group("s")), "funds", ante, "funded-by-antecedent", candidate=True)
        for m in self.r_funds.finditer(t):
            sub, cand = self._subject_before(s, m.start(), ACTOR)
            if sub:
                self._add(sub, "funds", self._eid(m.group("o")), "funds", candidate=cand)
        for m in self.r_grant.finditer(t):
            sub, cand = self._subject_before(s, m.start(), ACTOR)
            if sub:
                self._add(sub, "funds", self._eid(m.group("o")), "grant", candidate=cand)
        for m in self.r_benefit.finditer(t):
            sub, cand = self._subject_before(s, m.start(), ORG + ACTION_TYPES + ("Person",))
            if sub:
                self._add(self._eid(m.group("s")), "funds", sub, "benefits-from", candidate=cand)
            else:
                ante = self._antecedent(ORG_TYPES + ("Initiative", "Event"), self._abs(s, m.start()), max_sents=2)
                if ante is not None:
                    self._add(self._eid(m.group("s")), "funds", ante, "benefits-from-antecedent", candidate=True)
        for m in self.r_fin_support.finditer(t):
            obj = self._last_mark_before(s, m.start(), ORG + ACTION_TYPES + ("Person",))
            if obj is None or self._fronted(t, m.start()):
                obj = self._first_mark_after(s, m.end(), ACTION_TYPES + ORG_TYPES)
            if obj is not None:
                for g in ("s", "s2"):
                    if m.group(g):
                        self._add(self._eid(m.group(g)), "funds", self._eid(obj), "financial-support")

    def _located(self, s: _Sent) -> None:
        t = s.tmpl
        for rx, rule in ((self.r_in_dept, "in-department"), (self.r_paren_dept, "department-in-brackets")):
            for m in rx.finditer(t):
                subs = self._coordinated_before(s, m.start(), ("Commune",), adjacent=True)
                for sub in subs:
                    self._add(sub, "locatedIn", self._eid(m.group("d")), rule)
        for mk in self.r_marker.finditer(t):
            if mk.group(2) not in ORG + ACTION_TYPES or mk.group(2) == "Intercommunality":
                continue
            m = self.r_at.match(t, mk.end())
            if m is not None and mk.group(2) in ORG_TYPES and "," in m.group(0) and not re.search(
                    r"(?:basée?s?|installée?s?|implantée?s?|située?s?|fondée?s?|créée?s?|née?s?|organisée?s?)\s+(?:à|au)\s",
                    m.group(0)):
                m = None     # "X, à Valence" says where something happened, not where X is ("X à Valence" does)
            if m is not None:
                self._add(self._eid(mk.group(1)), "locatedIn", self._eid(m.group("t")), "held-at")
        for mk in self.r_marker.finditer(t):
            if mk.group(2) != "Network":
                continue
            m = self.r_org_place.match(t, mk.end())
            if m is not None:
                par = re.match(r"\s*\(\s*\ue000(\d+):", t[mk.end():])
                if par is None or self._eid(par.group(1)) == self._eid(mk.group(1)):
                    self._add(self._eid(mk.group(1)), "locatedIn", self._eid(m.group("t")), "organisation-of-place")
        for m in self.r_takes_place.finditer(t):
            first = None
            for mk in self.r_marker.finditer(t, 0, m.start()):
                if mk.group(2) in ("Event", "Initiative"):
                    first = mk
                    break
            if first is not None:
                for g in ("t", "t2"):
                    if m.group(g):
                        self._add(self._eid(first.group(1)), "locatedIn", self._eid(m.group(g)), "takes-place-at")
        m = self.r_fronted_at.match(t)
        if m is not None:
            x = self._first_mark_after(s, m.end(), ORG_TYPES + ("Event", "Initiative"))
            if x is not None:
                self._add(self._eid(x), "locatedIn", self._eid(m.group("t")), "fronted-place")
        m = self.r_sent_at.match(t)
        if m is not None:
            self._add(self._eid(m.group("x")), "locatedIn", self._eid(m.group("t")), "sentence-place")

    def _implements(self, s: _Sent) -> None:
        t = s.tmpl
        for m in self.r_impl.finditer(t):
            sub, cand = self._subject_before(s, m.start(), ORG + LOCAL)
            if sub:
                self._add(sub, "implements", self._eid(m.group("o")), "implements", candidate=cand)
        for mk in self.r_marker.finditer(t):
            if mk.group(2) != "Policy":
                continue
            m = self.r_policy_of.match(t, mk.end())
            if m is not None:
                self._add(self._eid(m.group("s")), "implements", self._eid(mk.group(1)), "policy-of")
            m = self.r_adopted_by.match(t, mk.end()) or self.r_adopted_by.match(t, mk.end() + 1)
        for m in self.r_adopted_by.finditer(t):
            pol = self._last_mark_before(s, m.start(), ("Policy",))
            if pol is not None:
                self._add(self._eid(m.group("s")), "implements", self._eid(pol), "adopted-by")

    def _organizes(self, s: _Sent) -> None:
        t = s.tmpl
        for m in self.r_organized_by.finditer(t):
            subs = [self._eid(m.group("s"))] + ([self._eid(m.group("s2"))] if m.group("s2") else [])
            obj = self._last_mark_before(s, m.start(), ("Event", "Initiative"))
            if obj is None or self._fronted(t, m.start()):
                obj = self._first_mark_after(s, m.end(), ("Event", "Initiative"))
            target, cand = (self._eid(obj), False) if obj is not None else (None, False)
            if target is None:
                dm = None
                for d in self.r_demonstr.finditer(t, 0, m.start()):
                    dm = d
                if dm is not None:
                    eid, sure = self._resolve_head(dm.group("h"), self._abs(s, dm.start()))
                    target, cand = eid, not sure
            if target is not None:
                for sub in subs:
                    self._add(sub, "organizes", target, "organized-by", candidate=cand)
        for m in self.r_organizes.finditer(t):
            sub, cand = self._subject_before(s, m.start(), ACTOR)
            if sub:
                self._add(sub, "organizes", self._eid(m.group("o")), "organizes", candidate=cand)
            if m.group("at"):
                self._add(self._eid(m.group("o")), "locatedIn", self._eid(m.group("at")), "organizes-at")
        for m in self.r_initiative_of.finditer(t):
            obj = self._last_mark_before(s, m.start(), ("Event", "Initiative"))
            if obj is not None:
                self._add(self._eid(m.group("s")), "organizes", self._eid(obj), "initiative-of")

    def _created(self, s: _Sent) -> None:
        t = s.tmpl
        for m in self.r_created_by.finditer(t):
            if self._fronted(t, m.start()):
                obj = self._first_mark_after(s, m.end(), ORG_TYPES + ("Initiative", "Policy"))
                if obj is None:
                    # "Fondée en 2012 par X, l'association …": the association is named earlier
                    ante = self._antecedent(ORG_TYPES + ("Initiative",), self._abs(s, m.start()), max_sents=3)
                    if ante is not None and ante != self._eid(m.group("s")):
                        self._add(ante, "createdBy", self._eid(m.group("s")), "created-by-antecedent", candidate=True)
                    continue
            else:
                obj = self._last_mark_before(s, m.start(), ORG_TYPES + ("Initiative", "Policy"))
            if obj is not None:
                self._add(self._eid(obj), "createdBy", self._eid(m.group("s")), "created-by")
        for m in self.r_creates.finditer(t):
            sub, cand = self._subject_before(s, m.start(), ACTOR)
            if sub:
                self._add(self._eid(m.group("o")), "createdBy", sub, "creates", candidate=cand)

    def _particip(self, s: _Sent) -> None:
        t = s.tmpl
        for m in self.r_particip.finditer(t):
            sub, cand = self._subject_before(s, m.start(), ACTOR)
            if sub:
                self._add(sub, "participatesIn", self._eid(m.group("o")), "participates", candidate=cand)
        for m in self.r_laureate.finditer(t):
            sub, cand = self._subject_before(s, m.start(), ACTOR)
            if sub:
                self._add(sub, "participatesIn", self._eid(m.group("o")), "laureate", candidate=cand)
        for rx, pred, rule in ((self.r_habilitation, "implements", "habilitation"),
                               (self.r_habilitated, "implements", "habilitated"),
                               (self.r_selected, "participatesIn", "selected")):
            for m in rx.finditer(t):
                sub, cand = self._subject_before(s, m.start(), ORG + LOCAL)
                if sub:
                    self._add(sub, pred, self._eid(m.group("o")), rule, candidate=cand)

    def _partner(self, s: _Sent) -> None:
        t = s.tmpl
        for m in self.r_between.finditer(t):
            self._add(self._eid(m.group("a")), "partnerOf", self._eid(m.group("b")), "partnership-between")
        for rx, rule in ((self.r_with, "in-partnership-with"), (self.r_sign_with, "partners-with")):
            for m in rx.finditer(t):
                sub, cand = self._subject_before(s, m.start(), ACTOR)
                if sub:
                    self._add(sub, "partnerOf", self._eid(m.group("b")), rule, candidate=cand)

    def _nested(self, doc) -> None:
        """Relations read off a name: "Congrès de l'AIMF", "CRESS du Poitou-Charentes"."""
        ms = doc.mentions
        for oi, outer in enumerate(ms):
            otype = doc.entities[doc.ent_of[oi]].type
            for ii in range(oi + 1, len(ms)):
                inner = ms[ii]
                if inner.start >= outer.end:
                    break
                if inner.end > outer.end:
                    continue
                itype = doc.entities[doc.ent_of[ii]].type
                before = doc.text[max(outer.start, inner.start - 6):inner.start]
                if not re.search(r"(?:\bde la |\bde l'|\bdu |\bdes |\bde |\bd')$", before) and not (
                        otype == "Network" and before.endswith(" ")):
                    continue
                if inner.end != outer.end:
                    continue
                self.cur = _Sent(outer.start, outer.end, "", [])
                for sp in doc.sentences:
                    if sp.start <= outer.start < sp.end:
                        self.cur = _Sent(sp.start, sp.end, "", [])
                        break
                o_id = doc.entities[doc.ent_of[oi]].id
                i_id = doc.entities[doc.ent_of[ii]].id
                if otype == "Event" and itype in ORG_TYPES:
                    self._add(i_id, "organizes", o_id, "event-of-organisation")
                elif otype == "Policy" and itype in ORG + LOCAL:
                    self._add(i_id, "implements", o_id, "policy-of-body")
                elif otype == "Network" and itype in ("Region", "Department"):
                    self._add(o_id, "locatedIn", i_id, "organisation-of-place")

    # ------------------------------------------------------------------
    def _coordinated_before(self, s: _Sent, pos: int, types: tuple[str, ...], adjacent: bool = False) -> list[str]:
        """Mentions coordinated just before ``pos``: "A et (de) B", "A, B et C"."""
        t = s.tmpl[:pos]
        out = []
        end = len(t)
        pat_last = re.compile(r"\ue000(\d+):(\w+)\ue001\s*$")
        sep = re.compile(r"(?:\s*,\s*(?:de\s+|d')?|\s+et\s+(?:de\s+|d')?|\s+ou\s+)(?:la |le |les |l')?$")
        while True:
            m = pat_last.search(t, 0, end)
            if m is None or m.group(2) not in types:
                break
            out.append(self._eid(m.group(1)))
            end = m.start()
            sm = sep.search(t, 0, end)
            if sm is None:
                break
            end = sm.start()
        if not out and not adjacent:
            return []
        return list(dict.fromkeys(reversed(out)))

    def _recent_coordination(self, s: _Sent, si: int, n: int | None, before: int) -> list[str] | None:
        """Communes coordinated in the nearest preceding sentence that coordinates any (≤4 back)."""
        if not n:
            return None
        coord = re.compile(r"\ue000\d+:Commune\ue001(?:(?:\s*,\s*(?:de\s+|d')?|\s+et\s+(?:de\s+|d')?)"
                           r"\ue000\d+:Commune\ue001)+")
        for sj in range(si, max(-1, si - 5), -1):
            sent = self.sents[sj]
            best = None
            for m in coord.finditer(sent.tmpl):
                if sj == si and self._abs(sent, m.end()) > before:
                    break
                best = m
            if best is not None:
                ids = list(dict.fromkeys(self._eid(x) for x in re.findall(r"\ue000(\d+):", best.group(0))))
                return ids if len(ids) == n else None
        return None

    def _resolve_head(self, head: str, before: int) -> tuple[str | None, bool]:
        """'ce débat' -> the single Event/Initiative whose name starts with 'débat'."""
        h = strip_accents(head).casefold()
        found = []
        for e in self.doc.entities:
            if e.type not in ACTION_TYPES:
                continue
            if not e.mentions or e.mentions[0].start >= before:
                continue
            words = re.findall(r"[^\W\d_]+", strip_accents(e.name).casefold())
            words = [w for w in words if w not in ("er", "e", "eme", "premier", "premiere")]
            if words and words[0] == h:
                found.append(e.id)
        if len(found) == 1:
            return found[0], True
        return None, False


def _compatible(t: str | None, types: tuple[str, ...]) -> tuple[str, ...]:
    if t is None:
        return types
    if t == "Organization":
        return tuple(x for x in types if x in ORG_TYPES) or types
    if t == "Network":
        return ("Network",)
    if t in ("Department",):
        return ("Department", "PublicBody")
    if t == "Region":
        return ("Region", "PublicBody")
    return (t,)


class _Shift:
    """A regex match viewed with its positions shifted (for chained role phrases)."""

    def __init__(self, m: re.Match, offset: int):
        self.m = m
        self.offset = offset

    def group(self, name):
        return self.m.group(name)

    def start(self, name=0):
        return self.m.start(name) + self.offset

    def end(self, name=0):
        return self.m.end(name) + self.offset


# ---------------------------------------------------------------------- kinds of facts
_SELECTABLE = ("Policy", "Initiative", "Event")


def _kind_cues(directory=None) -> dict[str, re.Pattern | None]:
    from pathlib import Path

    from ..errors import InputError
    from .lexicon import _read_yaml
    lex = Lexicon.load(directory) if directory is not None else _default_lexicon()
    path = Path(lex.source_dir) / "rules.yaml"
    data = _read_yaml(path).get("relation_kinds") or {}
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise InputError("'relation_kinds' must map each kind to a list of phrases", source=str(path))
    out = {}
    for key in ("habilitation", "laureat", "offer_objects", "offer_phrases"):
        words = [str(w) for w in data.get(key) or []]
        out[key] = re.compile(r"(?<![\w])(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in
                                                      sorted(words, key=len, reverse=True)) + r")(?![\w])",
                              re.I) if words else None
    return out


_LEX_CACHE: dict = {}


def _default_lexicon() -> Lexicon:
    if "lex" not in _LEX_CACHE:
        _LEX_CACHE["lex"] = Lexicon.load()
    return _LEX_CACHE["lex"]


def relation_kind(predicate: str, evidence: str | None, subject_type: str, object_type: str,
                  object_name: str = "", cues: dict | None = None) -> str | None:
    """The finer kind of a fact, read off its supporting sentence (cues: ``relation_kinds`` of
    rules.yaml):

    - ``"habilitation"`` / ``"laureat"``: a participation in, or an implementation of, a
      programme or a call for projects that the sentence says the actor was authorised for
      ("a obtenu l'habilitation TZCLD") or selected in ("lauréat", "sélectionnée") —
      written as ``ess:selectedFor`` with ``ess:selectionKind``;
    - ``"offer"``: an initiative a local authority or an organisation organises for its
      inhabitants (a mutuelle communale) — written as ``ess:offers``;
    - None otherwise.
    """
    if cues is None:
        if "cues" not in _LEX_CACHE:
            _LEX_CACHE["cues"] = _kind_cues()
        cues = _LEX_CACHE["cues"]
    text = evidence or ""
    if predicate in ("participatesIn", "implements") and object_type in _SELECTABLE \
            and subject_type in ORG + LOCAL + ("Country",):
        for kind in ("habilitation", "laureat"):
            rx = cues.get(kind)
            if rx is not None and rx.search(text):
                return kind
    if predicate in ("organizes", "implements") and object_type in ("Initiative", "Policy") \
            and subject_type in ORG + LOCAL:
        obj_rx, phrase_rx = cues.get("offer_objects"), cues.get("offer_phrases")
        if (obj_rx is not None and obj_rx.search(object_name or "")) or \
                (phrase_rx is not None and phrase_rx.search(text)
                 and (obj_rx is None or obj_rx.search(text) or subject_type in LOCAL)):
            return "offer"
    return None
