"""The built-in boilerplate rules, as named and grouped data (in the spirit of trafilatura's xpaths.py).

Every rule is matched against one line of the body after light markup stripping (leading bullets,
stray `*`/`_`/`#`/`>` and surrounding whitespace, see `classify.line_core`). Patterns are
case-insensitive unless `case_sensitive` is set. Each rule says *why* it exists in `why`.

Rule kinds:

- `line`   removes the matching line only.
- `opener` is a promo heading: it also takes the short, non-prose lines under it (event titles,
           channel names, teaser titles) until article prose or an article heading comes back,
           and in a boilerplate-dense tail it takes its teaser prose too.
- `block`  removes its whole paragraph (the lines between blank lines) when that paragraph is small,
           because the other lines of such a box (a newsletter pitch, a bio) are part of the same widget.

`max_chars` keeps prose safe: a line longer than that is an article sentence that merely mentions
the phrase ("... readers who subscribe to the newsletter said ..."), never boilerplate by this rule.

Speed contract (checked by the tests): a rule is either anchored (every alternative starts with `^`,
so the classifier dispatches it on the line's first characters) or carries `keywords`, lowercase
substrings one of which must occur in the line; `needs_digit` skips lines without a digit. These
gates are part of the rule's meaning (a share widget line must hold a share verb), so keep them true.

English rules apply to every language (English widgets appear on sites in all languages); rules
written in another language carry that language in `languages` and only apply to it, or to all
when no language hint is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

RuleKind = Literal["line", "opener", "block"]
KINDS: tuple[str, ...] = ("line", "opener", "block")


@dataclass(frozen=True)
class Rule:
    """One named boilerplate pattern with its group and the reason it exists."""

    name: str
    group: str
    pattern: str
    why: str
    kind: RuleKind = "line"
    max_chars: int = 160
    languages: tuple[str, ...] = ()  # empty: every language
    case_sensitive: bool = False
    # Lowercase substrings one of which must occur in the line before the pattern is tried. A speed gate
    # for patterns not anchored at the line start (an anchored pattern is cheap to try on every line).
    keywords: tuple[str, ...] = ()
    # The pattern can only match a line holding a digit (dates, counters): another speed gate.
    needs_digit: bool = False
    # A certain rule's match is removed whatever the boilerplate model says; an uncertain one (a byline, a
    # date line: article furniture that some datasets keep) is only evidence for the model.
    certain: bool = True


@dataclass(frozen=True)
class RuleSet:
    """An ordered collection of rules; earlier rules win when several match one line."""

    rules: tuple[Rule, ...]
    sources: tuple[str, ...] = field(default=("builtin",))

    def names(self) -> list[str]:
        """The rule names in order."""
        return [r.name for r in self.rules]

    def groups(self) -> list[str]:
        """The distinct rule groups in first-seen order."""
        return list(dict.fromkeys(r.group for r in self.rules))


# --- group names --------------------------------------------------------------------------------
NEWSLETTER = "newsletter"  # newsletter and subscription boxes
EVENTS_ADS = "events_ads"  # event listings and advertisements
RELATED = "related"  # "Also Read", related and sponsored teasers
APP = "app"  # app download prompts
COMMUNITY = "community"  # community and social calls
AUTHOR = "author"  # author bio, byline and dateline blocks
MEDIA = "media_credit"  # image credits, captions, gallery counters
COOKIE = "cookie"  # cookie and consent banners
SHARE = "share"  # share, print and e-mail widgets
NAVIGATION = "navigation"  # navigation crumbs, menus, pagers, tag lists
COMMENTS = "comments"  # comment and login prompts
LEGAL = "legal"  # copyright and legal footers
# Groups the classifier itself assigns (not rules in this file):
CORPUS = "corpus"  # lines repeated across many documents of the corpus (repeated.py)
STRUCTURE = "structure"  # structural signals: link_list, boilerplate_tail, duplicate_line, separator_line

BUILTIN_GROUPS: tuple[str, ...] = (
    NEWSLETTER,
    EVENTS_ADS,
    RELATED,
    APP,
    COMMUNITY,
    AUTHOR,
    MEDIA,
    COOKIE,
    SHARE,
    NAVIGATION,
    COMMENTS,
    LEGAL,
)

# --- reusable pattern pieces ---------------------------------------------------------------------
# Month names (abbreviated or full) in en, de, fr, es, sv and fi, for date-shaped lines.
MONTH = (
    r"(?:jan(?:uary|uar|vier|uari)?|jänner|feb(?:ruary|ruar|ruari)?|févr(?:ier)?|mar(?:ch)?|märz|mars"
    r"|apr(?:il)?|avr(?:il)?|may|mai|maj|jun(?:e|i)?|juin|jul(?:y|i)?|juil(?:let)?|aug(?:ust|usti)?|août"
    r"|sep(?:t(?:ember|embre)?)?|oct(?:ober|obre)?|okt(?:ober)?|nov(?:ember|embre)?|dec(?:ember)?"
    r"|dez(?:ember)?|déc(?:embre)?|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre"
    r"|noviembre|diciembre|(?:tammi|helmi|maalis|huhti|touko|kesä|heinä|elo|syys|loka|marras"
    r"|joulu)kuu(?:ta)?)\.?"
)
_ORD = r"(?:st|nd|rd|th|er|e|º)?"
_DAY = rf"\d{{1,2}}{_ORD}\.?"
_DAYS = rf"{_DAY}(?:\s*[-–/]\s*{_DAY})?"  # a day or a range of days: 27-28th
_WEEKDAY = (
    r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?|montag|dienstag|mittwoch|donnerstag"
    r"|freitag|samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lunes|martes|miércoles"
    r"|jueves|viernes|sábado|domingo|måndag|tisdag|onsdag|torsdag|fredag|lördag|söndag|maanantai|tiistai"
    r"|keskiviikko|torstai|perjantai|lauantai|sunnuntai)\.?,?\s+"
)
DATE = (
    rf"(?:{_WEEKDAY})?(?:{_DAYS}\s*(?:de\s+)?{MONTH},?\s*(?:de\s+)?\d{{4}}"  # 24th Mar, 2023 / 3. März 2024
    rf"|{MONTH}\s+{_DAYS},?\s+\d{{4}}"  # March 24, 2023
    r"|\d{1,2}[./]\d{1,2}[./]\d{2,4}"  # 05.11.2016, 24/03/2023
    r"|\d{4}-\d{2}-\d{2})"  # 2023-03-24
)
# A personal name: one to four capitalised words (case-sensitive even inside case-insensitive rules).
NAME = r"(?-i:[A-ZÄÖÜÅÉÈ][\w'’.-]+(?:\s+(?:von|van|de|der|da|di|du|la|le)?\s*[A-ZÄÖÜÅÉÈ][\w'’.-]+){0,3})"
# What introduces a byline: "By ...", "Von ...", or a label with a colon ("Text: ...", "Autor: ...").
BYLINE_PREFIX = (
    r"(?:(?:by|von|par|por|av|written by|geschrieben von|posted by|publié par|escrito por|kirjoittanut)\s+"
    r"|(?:text|texte|autor|autorin|author|auteur|teksti|kirjoittaja|författare)\s*:\s*)"
)
_TIME = r"(?:[,\s]+(?:um|at|à|a las|klo|kl\.?|@|-)?\s*\d{1,2}[:.]\d{2}(?:\s*(?:uhr|h|am|pm))?)?"
# Separators between the items of a one-line link list or an event line ("24th Mar, 2023 I Bangalore").
_SEP = r"(?:\s+(?:[|•·/–—-]|I)\s+|\s*[|•·]\s*)"

# One footer link to a legal or company page ("Impressum", "Privacy Policy", "Kontakta oss").
LEGAL_LINK = (
    r"(?:privacy(?: policy| notice| settings)?|terms(?: of (?:use|service))?|terms and conditions"
    r"|terms & conditions|legal notice|disclaimer|imprint|impressum|datenschutz(?:erklärung|hinweise)?|agb"
    r"|nutzungsbedingungen|kontakt|contact(?: us)?|about(?: us)?|über uns|barrierefreiheit|accessibility"
    r"|cookie policy|cookie-richtlinie|mentions légales|politique de confidentialité|conditions générales"
    r"|(?:nous )?contact(?:ez-nous)?|qui sommes-nous|à propos|aviso legal|política de privacidad"
    r"|política de cookies|contacto|quiénes somos|tietosuoja(?:seloste|käytäntö)?|käyttöehdot|ota yhteyttä"
    r"|yhteystiedot|meistä|integritetspolicy|användarvillkor|allmänna villkor|kontakta oss|om oss"
    r"|lediga tjänster|sitemap|rss|advertise|jobs|karriere|careers|press|presse|faq|help|hilfe|aide|ayuda"
    r"|ohje|hjälp)"
)

# --- the rules -----------------------------------------------------------------------------------
BUILTIN_RULES: tuple[Rule, ...] = (
    # ---------------------------------------------------------------- newsletter and subscription
    Rule(
        "newsletter_signup",
        NEWSLETTER,
        r"^(?:sign\s*up|subscribe|register|join|get|receive)\b.{0,60}\b(?:newsletters?|mailing list|digest"
        r"|briefing|podcast|e-?mail updates|e-?mail alerts)\b",
        "A call to sign up for a newsletter or podcast is a site widget; the box's byline and blurb "
        "usually follow it, so it opens a block.",
        kind="opener",
    ),
    Rule(
        "newsletter_heading",
        NEWSLETTER,
        r"^(?:(?:our|the|free|daily|weekly|free daily"
        r"|free weekly)\s+)?(?:e-?mail\s+)?newsletters?(?:\s+(?:sign[- ]?up|signup|subscription|anmeldung"
        r"|abonnieren|abonnement|bestellen))?\s*[:!]?$",
        "A bare 'Newsletter' heading titles a subscription box.",
        kind="opener",
    ),
    Rule(
        "newsletter_terms",
        NEWSLETTER,
        r"\bnewsletter subscriptions? (?:are|is) subject to\b|\bby (?:subscribing|signing up"
        r"|clicking)\b.{0,80}\byou (?:agree|accept|consent)\b|\bunsubscribe (?:at any time|anytime)\b"
        r"|\byou can unsubscribe\b",
        "Legal small print of a subscription box; the pitch lines of the same box go with it.",
        kind="block",
        max_chars=260,
        keywords=("subscri", "signing up", "clicking"),
    ),
    Rule(
        "inbox_promise",
        NEWSLETTER,
        r"\b(?:in|into|to|straight to|delivered to) your (?:e-?mail )?inbox\b|\bdelivered (?:daily"
        r"|weekly) to you\b",
        "'... in your inbox' is the pitch of a newsletter box, not article prose.",
        max_chars=160,
        keywords=("inbox", "delivered"),
    ),
    Rule(
        "subscribe_button",
        NEWSLETTER,
        r"^(?:subscribe|subscribe now|subscribe today|subscribe here|sign up|sign up now|sign up today"
        r"|sign me up|enter your e-?mail(?: address)?|your e-?mail(?: address)?|e-?mail address)\W*$",
        "Form labels and buttons of a signup box left behind by text extraction.",
    ),
    Rule(
        "newsletter_signup_de",
        NEWSLETTER,
        r"^(?:jetzt\s+)?(?:(?:zum|für den|unseren?|den)\s+)?newsletter\s+(?:an(?:melden)?|abonnieren"
        r"|bestellen|registrieren)\b|^(?:jetzt\s+)?(?:kostenlos\s+)?abonnieren\W*$",
        "German newsletter signup calls ('Newsletter abonnieren', 'Jetzt abonnieren').",
        kind="opener",
        languages=("de",),
    ),
    Rule(
        "newsletter_call_de",
        NEWSLETTER,
        r"\b(?:melden sie sich|melde dich)\b.{0,40}\bnewsletter\b|\bnewsletter\b.{0,40}\b(?:abonnieren"
        r"|bestellen|anmelden)\b",
        "'Melden Sie sich für unseren Newsletter an' asks for a subscription, whatever comes around it.",
        languages=("de",),
        keywords=("newsletter",),
    ),
    Rule(
        "newsletter_terms_de",
        NEWSLETTER,
        r"\b(?:jederzeit|kann jederzeit)\b.{0,40}\b(?:abbestellen|abmelden|widerrufen)\b|\bdirekt in (?:ihr"
        r"|dein) (?:e-mail-)?postfach\b",
        "German subscription small print and inbox promises.",
        kind="block",
        max_chars=260,
        languages=("de",),
        keywords=("abbestell", "abmeld", "widerruf", "postfach"),
    ),
    Rule(
        "newsletter_other",
        NEWSLETTER,
        r"^(?:abonnez-vous|inscrivez-vous|s'abonner|suscr[ií]bete|suscribirse|tilaa uutiskirje|tilaa"
        r"|prenumerera)\b.{0,60}$|\b(?:lettre d'information|bolet[ií]n|uutiskirje"
        r"|nyhetsbrev)\b.{0,40}\b(?:inscri|abonn|suscr|tilaa|prenumer)",
        "Newsletter calls in French, Spanish, Finnish and Swedish.",
        languages=("fr", "es", "fi", "sv"),
        keywords=(
            "abonn",
            "inscri",
            "suscr",
            "tilaa",
            "prenumer",
            "lettre d'information",
            "bolet",
            "uutiskirje",
            "nyhetsbrev",
        ),
    ),
    # ---------------------------------------------------------------- event listings and ads
    Rule(
        "event_date_place",
        EVENTS_ADS,
        rf"^{DATE}{_SEP}[^\d\s|].{{0,40}}$",
        "'24th Mar, 2023 | Webinar' or '27-28th Apr, 2023 I Bangalore': a date and a place is the "
        "shape of an events widget row, never a sentence.",
        max_chars=90,
        needs_digit=True,
    ),
    Rule(
        "upcoming_events",
        EVENTS_ADS,
        r"^(?:our\s+|more\s+|all\s+)?(?:upcoming|future|next|featured)\s+(?:events?|webinars?"
        r"|conferences?)\W*$|^(?:events? calendar|event listings?)\W*$",
        "An 'Upcoming Events' heading opens a listing; the event titles under it go with it.",
        kind="opener",
    ),
    Rule(
        "upcoming_events_other",
        EVENTS_ADS,
        r"^(?:kommende|nächste|aktuelle|unsere)\s+(?:veranstaltungen|termine|events|webinare)\W*$"
        r"|^(?:prochains? événements?|événements à venir|próximos eventos|tulevat tapahtumat"
        r"|kommande evenemang)\W*$",
        "The same events-widget heading in German, French, Spanish, Finnish and Swedish.",
        kind="opener",
        languages=("de", "fr", "es", "fi", "sv"),
    ),
    Rule(
        "advertisement_label",
        EVENTS_ADS,
        r"^(?:advertisement|advertising|ad|ads|sponsored|sponsored links?|promoted|promotion|anzeige|werbung"
        r"|publicité|publicidad|mainos|annons|reklam)\W*$",
        "A lone ad label marks an ad slot; its text is not article content.",
    ),
    Rule(
        "register_now",
        EVENTS_ADS,
        r"^(?:register|book|reserve|get|buy)\s+(?:now|today|your (?:seat|spot|ticket|tickets|pass))\b.{0,40}$"
        r"|^(?:jetzt\s+)?(?:anmelden|tickets? sichern|platz sichern)\W*$",
        "Registration and ticket calls belong to event promos.",
        max_chars=80,
    ),
    # ---------------------------------------------------------------- related and sponsored teasers
    Rule(
        "also_read",
        RELATED,
        r"^(?:also read|read also|read more|read next|related|related articles?|related posts?"
        r"|related stories|related reading|related content|see also|recommended|recommended reading|must read"
        r"|don'?t miss|more from [^:]{1,40}|more on this|more stories|trending|popular|editor'?s picks?"
        r"|you may also like|you might also like|further reading|check out|watch|listen)\s*[:|»›>–—]\s*\S",
        "'Also Read: <headline>' and its kin are one-line teasers for other articles.",
        max_chars=200,
    ),
    Rule(
        "related_heading",
        RELATED,
        r"^(?:related|related (?:articles?|posts?|stories|reading|content|news|topics|links)|you (?:may"
        r"|might) also (?:like|enjoy)|more (?:stories|articles|news|from us|like this)|recommended(?: for you"
        r"| articles| stories| reading)?|further reading|popular (?:posts|articles|stories)|most (?:read"
        r"|popular|viewed)|trending(?: now| stories)?|read next|what to read next|latest (?:news|posts"
        r"|articles|stories)|recent (?:posts|articles|stories)|top stories|in case you missed it)\W*$",
        "A related-content heading opens a list of teaser headlines.",
        kind="opener",
    ),
    Rule(
        "also_read_de",
        RELATED,
        r"^(?:lesen sie auch|lies auch|auch interessant|ebenfalls interessant|mehr zum thema|mehr dazu"
        r"|zum thema|siehe auch|weiterlesen|empfehlung(?:en)? der redaktion|meistgelesen)\s*[:|»›>–—]\s*\S",
        "German 'Lesen Sie auch: <headline>' teasers.",
        max_chars=200,
        languages=("de",),
    ),
    Rule(
        "related_heading_de",
        RELATED,
        r"^(?:weitere (?:artikel|beiträge|themen|nachrichten|meldungen|news)|das könnte (?:sie"
        r"|dich) auch interessieren|(?:das )?(?:interessiert|gefällt) (?:sie|dich) (?:vielleicht )?auch"
        r"|ähnliche (?:artikel|beiträge|themen)|verwandte (?:artikel|beiträge|themen)|empfohlene artikel"
        r"|meistgelesen(?:e artikel)?|neueste (?:artikel|beiträge)|mehr zum thema|lesen sie auch"
        r"|auch interessant|top-?themen|beliebte (?:artikel|beiträge))\W*$",
        "German related-content headings ('Weitere Artikel', 'Das könnte Sie auch interessieren').",
        kind="opener",
        languages=("de",),
    ),
    Rule(
        "also_read_other",
        RELATED,
        r"^(?:lire aussi|à lire aussi|voir aussi|lee también|le puede interesar|te puede interesar|lue myös"
        r"|läs också|läs även|relaterat|relacionado|destacado|reciente|articles similaires)\s*[:|»›>–—]\s*\S"
        r"|^(?:à lire aussi|articles similaires|sur le même sujet|noticias relacionadas"
        r"|artículos relacionados|te puede interesar|lue myös|aiheeseen liittyvät|relaterade artiklar"
        r"|läs mer)\W*$",
        "Related-article teasers in French, Spanish, Finnish and Swedish.",
        max_chars=200,
        languages=("fr", "es", "fi", "sv"),
    ),
    Rule(
        "sponsored_teaser",
        RELATED,
        r"^(?:council post|sponsored|sponsored post|sponsored content|partner content|paid post|paid content"
        r"|promoted|advertorial|brandvoice|brand voice|presented by|in partnership with|anzeige|gesponsert"
        r"|werbung|publireportage|contenu sponsorisé|patrocinado|kaupallinen yhteistyö|annons)\s*[:|–—]\s*\S",
        "'Council Post: ...' and 'Sponsored: ...' headlines are paid teasers; the teaser text under them "
        "goes with them in a boilerplate tail.",
        kind="opener",
        max_chars=200,
    ),
    Rule(
        "read_more_link",
        RELATED,
        r"(?:\.\.\.|…)\s*\[?(?:read more|continue reading|weiterlesen|mehr lesen|lire la suite|leer más"
        r"|lue lisää|läs mer|read)\]?\W{0,3}$|\b(?:read more|weiterlesen|read|more|mehr)\s*[»›>]+$",
        "A truncated line ending in '... Read more' or 'read »' is a teaser linking elsewhere.",
        max_chars=300,
        keywords=(
            "read more",
            "continue reading",
            "weiterlesen",
            "mehr lesen",
            "lire la suite",
            "leer más",
            "lue lisää",
            "läs mer",
            "... read",
            "...read",
            "… read",
            "…read",
            "read »",
            "read»",
            "read ›",
            "read›",
            "read >",
            "read>",
            "more »",
            "more»",
            "more ›",
            "more›",
            "more >",
            "more>",
            "mehr »",
            "mehr»",
            "mehr ›",
            "mehr›",
            "mehr >",
            "mehr>",
        ),
    ),
    Rule(
        "read_more",
        RELATED,
        r"^(?:read more|read the full (?:article|story)|continue reading|keep reading|learn more|weiterlesen"
        r"|weiter lesen|mehr lesen|mehr erfahren|mehr dazu|zum artikel|lire la suite|en savoir plus|lire plus"
        r"|leer más|seguir leyendo|sigue leyendo|lue lisää|lue koko juttu|läs mer|läs hela artikeln"
        r"|fortsätt läsa)(?:\W*$|\s*[:»›>|–—-]|\s+(?:about|on|at|über|zu|zum|om|sur|sobre"
        r"|aiheesta)\b).{0,50}$|^(?:mehr|more|read on)\W*$",
        "A short line starting 'Read more' / 'Weiterlesen' / 'Läs mer om ...' is a teaser link.",
        max_chars=70,
    ),
    # ---------------------------------------------------------------- app download prompts
    Rule(
        "app_download",
        APP,
        r"^(?:download|get|install|try|use)\b.{0,40}\bapps?\b|\b(?:available|download|get it) (?:on|in"
        r"|from) (?:the )?(?:app store|google play|play store)\b|^(?:app store|google play"
        r"|get it on google play|download on the app store)\W*$",
        "'Download our Mobile App' and store badges are app promotion.",
        max_chars=100,
        keywords=("app", "google play", "play store"),
    ),
    Rule(
        "app_download_de",
        APP,
        r"^(?:jetzt\s+)?(?:(?:unsere|die)\s+)?(?:\w+[- ])?app\s+(?:herunterladen|downloaden|laden"
        r"|installieren)\b|^(?:hol dir|lade dir|laden sie|installieren sie)\b.{0,40}\bapp\b"
        r"|\bjetzt im (?:app store|play store)\b",
        "German app download prompts ('Jetzt die App herunterladen').",
        max_chars=100,
        languages=("de",),
        keywords=("app",),
    ),
    # ---------------------------------------------------------------- community and social calls
    Rule(
        "ways_to_join",
        COMMUNITY,
        r"^\d+\s+ways to (?:join|connect|follow|stay|reach)\b|^(?:join|follow) (?:us|our community)\W*$"
        r"|^(?:connect with us|stay connected|find us on|follow us)\W*$",
        "'3 Ways to Join our Community' titles a box of channel links; the channel lines go with it.",
        kind="opener",
    ),
    Rule(
        "join_channel",
        COMMUNITY,
        r"\bjoin (?:our|the|us on|us in|us at)\b.{0,60}\b(?:telegram|discord|whatsapp|slack|community"
        r"|facebook group|linkedin group|group|channel|server|forum|newsletter|mailing list)\b",
        "'Join our Telegram/Discord/community' is a community call.",
        max_chars=160,
        keywords=("join",),
    ),
    Rule(
        "channel_label",
        COMMUNITY,
        r"^(?:telegram|discord|whatsapp|slack|signal|facebook|linkedin|reddit|youtube|instagram|twitter|x"
        r"|mastodon|tiktok)\s+(?:group|channel|server|community|page|kanal|gruppe|gruppe|ryhmä|grupp)\W*$",
        "'Telegram group', 'Discord Server': the label of a channel link.",
    ),
    Rule(
        "follow_us",
        COMMUNITY,
        r"^(?:follow|like|find|connect with|join) us (?:on|at)\s+(?:facebook|twitter|x|instagram|linkedin"
        r"|youtube|tiktok|telegram|discord|whatsapp|mastodon|threads|bluesky|social media)\b"
        r"|^stay (?:connected|in touch|tuned|updated|informed)\b",
        "'Follow us on Twitter', 'Stay connected with ...' are social calls.",
        max_chars=120,
    ),
    Rule(
        "follow_us_other",
        COMMUNITY,
        r"^(?:folgen sie uns|folge uns|besuchen sie uns|bleiben sie|bleib|werde teil"
        r"|werden sie teil)\b.{0,60}\b(?:auf|bei|in|dran|laufenden|kontakt|informiert|community)\b"
        r"|^(?:suivez-nous|rejoignez-nous|síguenos|únete|seuraa meitä|liity|följ oss|gå med)\b",
        "Social calls in German, French, Spanish, Finnish and Swedish.",
        max_chars=120,
        languages=("de", "fr", "es", "fi", "sv"),
    ),
    # ---------------------------------------------------------------- author bio and byline blocks
    Rule(
        "author_bio",
        AUTHOR,
        rf"^{NAME},? (?:currently |now |also )?(?:works|worked|is working|writes|serves|is|has been|was)"
        r" (?:as |for )?(?:an? |the )?(?:[\w-]+ ){0,3}(?:editor|writer|journalist|reporter|correspondent"
        r"|columnist|author|contributor|blogger|analyst|podcaster|freelancer|editor-in-chief)\b",
        "A short paragraph that says who the writer is is an author bio box; its name line goes with it.",
        kind="block",
        max_chars=300,
    ),
    Rule(
        "author_contact",
        AUTHOR,
        r"\b(?:you can reach (?:him|her|them|me)|contact (?:him|her|them|the author) at|follow (?:him|her"
        r"|them) on)\b|\breach (?:out to )?(?:him |her |them |me )?(?:out )?at\s*\S*$",
        "'Reach out at ...', 'You can reach her at ...' close an author bio box.",
        kind="block",
        max_chars=300,
        keywords=(
            "reach",
            "contact him",
            "contact her",
            "contact them",
            "contact the author",
            "follow him",
            "follow her",
            "follow them",
        ),
    ),
    Rule(
        "author_bio_de",
        AUTHOR,
        rf"^{NAME} (?:ist|arbeitet als|schreibt als|war) (?:seit \w+ )?(?:freie[rn]? |leitende[rn]? "
        r"|stellvertretende[rn]? |\w+-)?(?:redakteur|redakteurin|journalist|journalistin|autor|autorin"
        r"|korrespondent|korrespondentin|chefredakteur|chefredakteurin|volontär)",
        "German author bio sentences ('X ist Redakteurin bei ...').",
        kind="block",
        max_chars=300,
        languages=("de",),
    ),
    Rule(
        "about_author",
        AUTHOR,
        r"^(?:about the author|about me|the author|author bio|über den autor|über die autorin|zur person"
        r"|à propos de l'auteur|sobre el autor|kirjoittajasta|om författaren)\W*$",
        "An 'About the author' heading opens the bio box.",
        kind="opener",
    ),
    Rule(
        "byline",
        AUTHOR,
        rf"^{BYLINE_PREFIX}{NAME}(?:\s*[,|·•–—-]\s*.{{0,40}})?$",
        "'By Jane Doe' is the byline widget; the name is kept as metadata (CleanResult.author).",
        max_chars=90,
    ),
    Rule(
        "date_line",
        AUTHOR,
        r"^(?:published|updated|posted|last updated|last modified|veröffentlicht|aktualisiert|stand|erstellt"
        r"|publié|mis à jour|publicado|actualizado|julkaistu|päivitetty|publicerad|uppdaterad|datum|date"
        rf"|fecha)(?:\s+(?:on|am|le|el))?\s*:?\s*{DATE}{_TIME}\W*$|^{DATE}\W*$",
        "A line holding only a publication date ('Published: 3 March 2021', '24.03.2023') is a dateline, "
        "metadata rather than body text. A date with a time and no label is left alone: it is as often a "
        "post or event timestamp that belongs to the listing. Uncertain: a dateline under the headline is "
        "article furniture that many datasets keep, so the model weighs it with the line's context.",
        max_chars=70,
        certain=False,
        needs_digit=True,
    ),
    Rule(
        "reading_time",
        AUTHOR,
        r"^(?:\d+\s*(?:min(?:ute)?s?|minuten?)\.?\s*(?:read|lesezeit|lesedauer|de lecture|de lectura|lukuaika"
        r"|läsning))\W*$|^(?:lesezeit|lesedauer|reading time)\s*:?\s*\d+\s*\w*\W*$",
        "'5 min read' / 'Lesezeit: 4 Minuten' is byline furniture.",
        needs_digit=True,
    ),
    # ---------------------------------------------------------------- image credits, captions, galleries
    Rule(
        "image_credit",
        MEDIA,
        r"^(?:cover|featured|header|hero|lead|title|top)?\s*(?:photo|image|picture|pic|illustration|graphic"
        r"|video|artwork)s?\s*(?:credits?|source|courtesy|by)?\s*[:©]|^(?:photo|image|picture"
        r"|illustration)s?\s+(?:credits?|courtesy|source|by)\b|^(?:credits?|source|quelle)\s*:\s*(?:getty"
        r"|shutterstock|istock|reuters|afp|ap\b|dpa|imago|unsplash|pexels|pixabay|picture[- ]alliance"
        r"|wikimedia|flickr)",
        "'Cover Photo: ...', 'Image credit: ...' name the picture's origin, not article content.",
        max_chars=200,
    ),
    Rule(
        "image_credit_de",
        MEDIA,
        r"^(?:bildquelle|bildquellen|bildnachweis|bildrechte|bild|bilder|foto|fotos|titelbild|titelfoto"
        r"|aufmacherbild|beitragsbild|symbolbild|grafik|abbildung|quelle bild|fotocredit"
        r"|copyright bild)\s*[:©]|^(?:symbolbild|symbolfoto)\W*$",
        "German picture credits: 'Bildquelle: ...', 'Foto: ...', 'Symbolbild'.",
        max_chars=200,
        languages=("de",),
    ),
    Rule(
        "image_credit_other",
        MEDIA,
        r"^(?:crédits? photo|photo|crédit|illustration|foto|imagen|fotografía|kuva|kuvat|kuvaaja|bild|foto"
        r"|bildkälla)\s*[:©]",
        "Picture credits in French, Spanish, Finnish and Swedish.",
        max_chars=200,
        languages=("fr", "es", "fi", "sv"),
    ),
    Rule(
        "agency_credit",
        MEDIA,
        r"^(?:©|\(c\)|foto|photo|bild|image)?\s*[:/]?\s*(?:©\s*)?(?:getty images|shutterstock"
        r"|istock(?:photo)?|dpa|imago(?: images)?|picture[- ]alliance|reuters|afp|ap photo|unsplash|pexels"
        r"|pixabay|adobe stock|depositphotos)(?:\s*(?:[/,|·]|\bvia\b|\bfor\b)\s*[\w .&'’-]{1,40}){0,3}\W*$",
        "A bare photo agency credit ('Getty Images', 'dpa/picture alliance') is a caption leftover.",
        max_chars=90,
    ),
    Rule(
        "gallery_counter",
        MEDIA,
        r"^(?-i:[A-ZÄÖÜÅÉ])[\w&'’-]*(?:\s+[\w&'’-]+){0,4}\s\(\d{1,3}\)$|^(?:bild|foto|image|photo|slide|kuva"
        r"|bilde)\s*\d{1,3}\s*(?:/|of|von|de|sur|av)\s*\d{1,3}$|^\d{1,3}\s+(?:of|von|de|sur|av)\s+\d{1,3}$",
        "'Chip Technologie (3)' or 'Bild 3 von 10' is a gallery title with a picture counter.",
        max_chars=80,
        needs_digit=True,
    ),
    Rule(
        "gallery_link",
        MEDIA,
        r"^(?:zur (?:bildergalerie|galerie)|bildergalerie|gallery|galerie|view gallery|alle bilder|all photos"
        r"|weitere bilder|more photos)\b.{0,30}$",
        "'Zur Bildergalerie', 'View gallery' link to the pictures, not article text.",
        max_chars=60,
    ),
    # ---------------------------------------------------------------- cookie and consent
    Rule(
        "cookie_notice",
        COOKIE,
        r"\b(?:uses?|using|verwendet|verwenden|nutzt|nutzen|setzt|setzen|einsatz von|utilise|utilisons"
        r"|utilisation de|utiliza|utilizamos|usa|usamos|uso de|käyttää|käytämme"
        r"|använder)\s+(?:\S+\s+){0,2}cookies?\b|\bcookies?\b.{0,150}\b(?:accept|agree|consent|settings"
        r"|preferences|polic(?:y|ies)|richtlinie|einstellungen|einwillig|akzeptier|zustimm|einverstanden"
        r"|improve|verbessern|personali[sz]|analy[sz]|tracking|third[- ]party|drittanbieter|en poursuivant"
        r"|weiter surfen|continuing|hyväksy|godkänn|samtycke|asetukset|inställningar|paramètres|configuración"
        r"|acepta|acceptez|accepter)|\b(?:this|our|diese|unsere)\s+(?:web)?(?:site|seite|website)\s+(?:uses"
        r"|verwendet|nutzt|setzt)\b",
        "A consent banner is about the site, never the article; in any language it names cookies.",
        max_chars=400,
        keywords=("cookie", "site uses", "seite verwendet", "seite nutzt", "seite setzt"),
    ),
    Rule(
        "consent_button",
        COOKIE,
        r"^(?:accept|accept all|accept cookies|allow all|allow cookies|reject all|decline|i agree|i accept"
        r"|got it|ok,? got it|agree and close|manage (?:cookies|preferences|options)|cookie settings"
        r"|cookie preferences|alle akzeptieren|akzeptieren|alle ablehnen|ablehnen|einverstanden|zustimmen"
        r"|cookie-einstellungen|einstellungen verwalten|tout accepter|tout refuser|accepter|aceptar"
        r"|aceptar todo|rechazar|hyväksy|hyväksy kaikki|hyväksyn|godkänn|godkänn alla|acceptera"
        r"|acceptera alla)\W*$",
        "Consent buttons left behind by the banner.",
    ),
    # ---------------------------------------------------------------- share, print and e-mail widgets
    Rule(
        "share_widget",
        SHARE,
        r"^(?:(?:share|sharing|teilen|partager|compartir|jaa|dela|print|drucken|imprimer|imprimir|tulosta"
        r"|skriv ut|e-?mail|mail|tweet|pin|save|speichern|merken|weiterleiten|versenden|empfehlen|copy link"
        r"|link kopieren|this|article|post|story|page|on|via|auf|per|diesen|artikel|beitrag|seite|facebook"
        r"|twitter|x|linkedin|whatsapp|pinterest|reddit|xing|telegram|messenger|flipboard|pocket|tumblr"
        r"|threads|bluesky)[\s,:|/·•]*){1,8}$",
        "Lines made only of share/print/e-mail words and network names (with at least one such verb, see "
        "keywords) are the share widget.",
        max_chars=100,
        keywords=(
            "share",
            "sharing",
            "teilen",
            "partager",
            "compartir",
            "jaa",
            "dela",
            "print",
            "drucken",
            "imprim",
            "tulosta",
            "skriv ut",
            "mail",
            "tweet",
            "pin",
            "save",
            "speichern",
            "merken",
            "weiterleiten",
            "versenden",
            "empfehlen",
            "copy link",
            "link kopieren",
        ),
    ),
    Rule(
        "share_widget_call",
        SHARE,
        r"^(?:share|teilen|partager|compartir|jaa|dela)\s+(?:this|on|via|with|auf|mit|über|sur|en"
        r"|en)\b.{0,50}$|^(?:click to (?:share|print|email)|diesen artikel (?:teilen|drucken|versenden)"
        r"|send (?:this )?(?:by|via) e-?mail|per e-?mail (?:versenden|senden|teilen)|skicka som e-post"
        r"|envoyer par e-?mail|enviar por (?:e-?mail|correo)|lähetä sähköpostilla"
        r"|printer[- ]friendly(?: version)?|druckversion|druckansicht|version imprimable"
        r"|versión para imprimir|tulostettava versio|utskriftsvänlig(?: version)?|download (?:as )?pdf"
        r"|als pdf (?:herunterladen|speichern)|ladda ner som pdf)\b.{0,50}$",
        "'Share this article with a friend', 'Send by e-mail', 'Printer-friendly version' are share widgets.",
        max_chars=90,
    ),
    # ---------------------------------------------------------------- navigation crumbs
    Rule(
        "breadcrumb",
        NAVIGATION,
        r"^(?:home|startseite|start|accueil|inicio|etusivu|hem|news)\s*(?:[>»›→/]|&gt;)\s*\S",
        "'Home > News > Tech' is a breadcrumb trail.",
        max_chars=200,
    ),
    Rule(
        "nav_word",
        NAVIGATION,
        r"^(?:home|homepage|startseite|menu|menü|main menu|hauptmenü|navigation|skip to (?:main )?content"
        r"|skip navigation|zum inhalt(?: springen)?|zur navigation|back to top|to top|top|nach oben|zurück"
        r"|zurück nach oben|back|next|previous|prev|weiter|vor|vorherige(?:r)?(?: artikel| beitrag| seite)?"
        r"|nächste(?:r)?(?: artikel| beitrag| seite)?|next (?:article|post|page|story)|previous (?:article"
        r"|post|page|story)|older posts|newer posts|older entries|newer entries|ältere beiträge"
        r"|neuere beiträge|search|suche|suchen|search for|sitemap|site map|close|schließen|toggle navigation"
        r"|open menu|close menu|retour|retour en haut|haut de page|accueil|rechercher|article précédent"
        r"|article suivant|volver|volver arriba|buscar|inicio|anterior|siguiente|takaisin|alkuun|haku|etusivu"
        r"|edellinen|seuraava|tillbaka|tillbaka upp|till toppen|sök|hem|äldre inlägg|senare inlägg"
        r"|nyare inlägg|föregående|nästa)\W*$",
        "A line holding only a navigation word is a menu or pager leftover.",
    ),
    Rule(
        "jump_to",
        NAVIGATION,
        r"^(?:jump to|skip to|springe zu|wechseln zu|aller à|saltar a|ir a|siirry"
        r"|hoppa till)\s*:?\s*(?:navigation|navigering|search|suche|sök|recherche|búsqueda|haku|content"
        r"|inhalt|contenu|contenido|sisältö|innehåll)\b.{0,40}$|^(?:you are here|sie sind hier|vous êtes ici"
        r"|usted está aquí|está aquí|olet tässä|du är här)\s*:?.{0,150}$",
        "'Jump to: navigation, search' and 'You are here:' are navigation aids.",
        max_chars=200,
    ),
    Rule(
        "feed_links",
        NAVIGATION,
        r"^(?:rss|atom)(?:[- ]feeds?)?\W*$|^subscribe to:? (?:posts|comments)(?: \(atom\))?\W*$|^(?:posts"
        r"|comments|entries|inlägg|kommentarer(?: till inlägget)?|beiträge|kommentare|articles"
        r"|commentaires)\s*(?:via|per|\()?\s*(?:rss|atom)\)?\W*$",
        "Feed links ('Subscribe to: Posts (Atom)', 'Inlägg via RSS') are blog chrome.",
    ),
    Rule(
        "wiki_chrome",
        NAVIGATION,
        # A scraped MediaWiki page (Wikipedia and its mirrors) keeps its menus as glued link texts: the
        # personal bar "Not logged inTalkContributionsCreate accountLog in", the tools "What links
        # hereRelated changes...", the print box "Create a bookDownload as PDF...", and the edit tab. Each
        # alternative needs a menu's first two entries (or the edit tab alone), in MediaWiki's own wording
        # in en, de, fr, es, fi and sv.
        r"^(?:not logged in|nicht angemeldet|non connecté|no has accedido|et ole kirjautunut|inte inloggad)"
        r"\s*(?:talk|diskussion|discussion|discusión|keskustelu)"
        r"|^(?:what links here|links auf diese seite|pages liées|lo que enlaza aquí|tänne viittaavat sivut"
        r"|sidor som länkar hit)\s*(?:related changes|änderungen an verlinkten seiten|suivi des pages liées"
        r"|cambios en enlazadas|linkitettyjen sivujen muutokset|relaterade ändringar)"
        r"|^(?:create a book|buch erstellen|créer un livre|crear un libro|luo kirja|skapa en bok)"
        r"\s*(?:download as pdf|als pdf herunterladen|télécharger comme pdf|descargar como pdf|lataa pdf"
        r"|ladda ner som pdf)"
        r"|^(?:edit source|quelltext bearbeiten|modifier le code|editar código|muokkaa wikitekstiä"
        r"|redigera wikitext)\W*$",
        "MediaWiki's menus scraped with a page (the personal bar, the tools, the print box, the edit tab).",
        max_chars=300,
    ),
    Rule(
        "javascript_required",
        NAVIGATION,
        r"\bjavascript\b.{0,80}\b(?:enable|enabled|aktiviert|aktivieren|eingeschaltet|activé|activer"
        r"|habilitado|habilitar|käytössä|aktiverat|required|erforderlich|nécessaire|necesario)\b|\b(?:enable"
        r"|aktivieren sie|activez|habilite|aktivera)\b.{0,40}\bjavascript\b|\bvor spambots geschützt\b"
        r"|\bprotected from spambots\b",
        "'Please enable JavaScript' and e-mail cloaking notices are page-rendering leftovers.",
        max_chars=250,
        keywords=("javascript", "spambots"),
    ),
    Rule(
        "blog_widgets_sv",
        NAVIGATION,
        r"^(?:bloggarkiv|om mig|visa hela min profil|visa min fullständiga profil|sök i den här bloggen"
        r"|sök i bloggen|visa webbversion|visa mobilversion|rapportera otillåten användning|inlägg \(atom\)"
        r"|kommentarer \(atom\)|populära inlägg|mina bloggar|bloggar jag följer|totalt antal sidvisningar"
        r"|flöde för inlägg|flöde för kommentarer|senaste inläggen|senaste kommentarer|tema: .{0,60}"
        r"|teknik från blogger|drivs med blogger|bli först med att gilla detta\.?|gilla detta:?"
        r"|dela det här:?|gilla laddar\.\.\.|laddar\.\.\.)\W*$",
        "The Swedish sidebar and footer widgets of Blogger and WordPress blogs ('Bloggarkiv', 'Om mig', "
        "'Visa hela min profil', 'Senaste inläggen', 'Dela det här:').",
        languages=("sv",),
    ),
    Rule(
        "shop_forum_sv",
        NAVIGATION,
        r"^(?:lägg i varukorgen|köp nu|till kassan|gå till kassan|varukorg(?:en)?|din varukorg är tom"
        r"|fri frakt|i lager|finns i lager|ej i lager|slut i lager|leveranstid|jämför|lägg till i önskelistan"
        r"|önskelista|lägg i önskelistan|citera|anmäl|anmäl inlägg|svara med citat|medlem sedan|antal inlägg"
        r"|trådstartare|visa profil|skicka pm|skicka privat meddelande|gå till sida|gå till toppen|ny tråd"
        r"|starta ny tråd|svara på tråden)\W*$"
        r"|^(?:registrerad|inlägg|medlem sedan|ort|ålder)\s*:\s*\S.{0,30}$",
        "Swedish shop buttons ('Lägg i varukorgen', 'I lager') and forum controls and member fields "
        "('Citera', 'Anmäl inlägg', 'Medlem sedan: 2009').",
        languages=("sv",),
    ),
    Rule(
        "pager",
        NAVIGATION,
        r"^(?:page|seite|sivu|sida|página)\s+\d+(?:\s*(?:of|von|/|de|av)\s*\d+)?\W*$|^(?:\d+\s+){2,}(?:…"
        r"|\.\.\.)?\s*(?:\d+\s*)?(?:next|weiter|»|›|>|nächste)?\W*$|^[«‹<]\s*(?:previous|prev"
        r"|zurück)\b.{0,40}$",
        "Page numbers and pager arrows are navigation.",
    ),
    Rule(
        "pager_next",
        NAVIGATION,
        r"\b(?:next|weiter|nächste|suivant|siguiente|seuraava|nästa)\s*[»›>]$",
        "'Next article »' ends in a pager arrow.",
        max_chars=60,
        keywords=("next", "weiter", "nächste", "suivant", "siguiente", "seuraava", "nästa"),
    ),
    Rule(
        "tag_list",
        NAVIGATION,
        r"^(?:tags?|tagged|tagged with|schlagwörter|schlagworte|stichwörter|themen|kategorien?|categories"
        r"|category|filed under|posted in|ablage|étiquettes|mots-clés|etiquetas|categorías|avainsanat"
        r"|tunnisteet|kategoriat|taggar|kategorier)\s*:\s*\S.{0,150}$",
        "'Tags: a, b, c' and 'Filed under: ...' are taxonomy links.",
        max_chars=200,
    ),
    Rule(
        "account_links",
        NAVIGATION,
        r"^(?:log ?in|login|log out|logout|sign in|sign out|sign up|register|my account"
        r"|create (?:an )?account|forgot (?:your )?password\??|remember me|username|user ?name|password"
        r"|e-?mail or username|mein konto|anmelden|abmelden|registrieren|einloggen|ausloggen|benutzername"
        r"|passwort|passwort vergessen\??|angemeldet bleiben|konto erstellen|se connecter|connexion"
        r"|déconnexion|s'inscrire|créer un compte|mot de passe(?: oublié)?|nom d'utilisateur|hors ligne"
        r"|en ligne|iniciar sesión|registrarse|cerrar sesión|contraseña|nombre de usuario|kirjaudu(?: sisään"
        r"| ulos)?|rekisteröidy|käyttäjätunnus|salasana|logga in|logga ut|mitt konto|skapa konto|användarnamn"
        r"|lösenord|glömt lösenordet\??)(?:\s*[|/·•]\s*\w[\w ]{0,20})?\W*$",
        "Account and login-form labels ('Log in | Register', 'Passwort vergessen?') are site chrome.",
    ),
    # ---------------------------------------------------------------- comment and login prompts
    Rule(
        "comment_prompt",
        COMMENTS,
        r"^(?:leave a (?:reply|comment)|post a comment|add a comment|write a comment|no comments(?: yet)?"
        r"|\d+\s+(?:comments?|kommentare?|responses?|replies|commentaires?|comentarios?|kommenttia?"
        r"|kommentarer)|(?:comments?|kommentare?|commentaires?|comentarios?|kommentarer|kommentit)\s*\(\d+\)"
        r"|kommentar schreiben|kommentieren|schreibe einen kommentar|beitrag schreiben|antworten|reply"
        r"|répondre|responder|vastaa|svara|cancel reply|laisser un commentaire|ajouter un commentaire"
        r"|commenter|connectez-vous (?:et|pour) comment\w*|deja un comentario|escribe un comentario|kommentoi"
        r"|jätä kommentti|lämna en kommentar|skicka en kommentar|kommentera(?: inlägget(?: här)?)?"
        r"|inga kommentarer|show comments|kommentare anzeigen|view comments|be the first to comment"
        r"|comment by \S+|kommentar av|länkar till det här inlägget|links to this post|reaktioner"
        r"|reactions)\W*$",
        "Comment-form headings and buttons are site chrome, not the article.",
    ),
    Rule(
        "pingback",
        COMMENTS,
        r"^(?:pingback|trackback)\s*:",
        "WordPress pingbacks are automatic link notices from other sites.",
        max_chars=300,
    ),
    Rule(
        "feedback_prompt",
        COMMENTS,
        r"^(?:was this (?:answer |article |review |page |information )?helpful|did you find this helpful"
        r"|war (?:dieser|diese|dieses) (?:artikel|beitrag|antwort|seite|information) hilfreich"
        r"|ist dieser beitrag hilfreich|ce commentaire vous a-t-il été utile"
        r"|cet article vous a-t-il été utile|¿te ha resultado útil|¿le ha resultado útil|¿fue útil"
        r"|oliko tästä apua|oliko vastauksesta apua|var detta svar hjälpsamt|var detta hjälpsamt"
        r"|var artikeln till hjälp)\b.{0,80}$|^\d+ (?:of|von|sur|de|av) \d+ (?:people|personen|internautes?"
        r"|personas|personer)\b.{0,60}(?:helpful|hilfreich|utile|útil|hjälpsam)",
        "'Was this helpful?' voting widgets and their tallies.",
        max_chars=160,
    ),
    Rule(
        "login_required",
        COMMENTS,
        r"\byou must be (?:logged in|registered)\b|\b(?:log ?in|sign in|register) to (?:post|reply|comment"
        r"|leave)\b|\bdu musst (?:angemeldet|eingeloggt) sein\b|\bsie müssen (?:angemeldet|eingeloggt) sein\b"
        r"|\byour e-?mail address will not be published\b|\bihre e-mail-adresse wird nicht veröffentlicht\b"
        r"|\brequired fields are marked\b|\berforderliche felder sind\b",
        "Login requirements and comment-form small print.",
        max_chars=200,
        keywords=(
            "must be logged",
            "must be registered",
            "log in to",
            "login to",
            "sign in to",
            "register to",
            "musst angemeldet",
            "musst eingeloggt",
            "müssen angemeldet",
            "müssen eingeloggt",
            "not be published",
            "nicht veröffentlicht",
            "required fields",
            "erforderliche felder",
        ),
    ),
    # ---------------------------------------------------------------- copyright and legal footers
    Rule(
        "copyright",
        LEGAL,
        r"^(?:©|\(c\)|&copy;|copyright\b)|\ball rights reserved\b|\balle rechte vorbehalten\b"
        r"|\btous droits réservés\b|\btodos los derechos reservados\b|\bkaikki oikeudet pidätetään\b"
        r"|\balla rättigheter förbehållna\b|\bcopyright\s*(?:©|\(c\))?\s*(?:19|20)\d\d\b|©\s*(?:19|20)\d\d\b",
        "Copyright lines are the legal footer.",
        max_chars=220,
        keywords=(
            "©",
            "(c)",
            "&copy;",
            "copyright",
            "rights reserved",
            "rechte vorbehalten",
            "droits réservés",
            "derechos reservados",
            "oikeudet pidätetään",
            "rättigheter förbehållna",
        ),
    ),
    Rule(
        "legal_links",
        LEGAL,
        rf"^{LEGAL_LINK}(?:\s*[|/·•]\s*{LEGAL_LINK}){{0,11}}\W*$",
        "Footer link rows of legal and company pages ('Impressum | Datenschutz | AGB').",
        max_chars=200,
    ),
    Rule(
        "license_footer",
        LEGAL,
        r"\b(?:available|licensed|released|published|distributed|verfügbar|lizenziert|veröffentlicht"
        r"|disponibles?|publiés?|publicados?|tillgänglig|licensierad|saatavilla|julkaistu)\b.{0,30}\b(?:under"
        r"|unter|sous|bajo|enligt|lisenssillä)\b.{0,60}\b(?:creative commons|cc[- ]by|gnu free documentation"
        r"|gfdl)|\bis a registered trademark of the wikimedia|\best une marque déposée de la wikimedia"
        r"|\bär ett registrerat varumärke\b",
        "Licence footers ('Text is available under the Creative Commons ... licence') are site legal text.",
        max_chars=300,
        keywords=(
            "creative commons",
            "cc-by",
            "cc by",
            "documentation license",
            "wikimedia",
            "registrerat varumärke",
        ),
    ),
    Rule(
        "powered_by",
        LEGAL,
        r"\b(?:proudly )?powered by\b.{0,40}\b(?:wordpress|joomla|drupal|blogger|typo3|squarespace|wix"
        r"|shopify|ghost|hugo|jekyll|tumblr|vbulletin|phpbb|mybb|xenforo)\b|\b(?:wordpress|joomla"
        r"|drupal) (?:theme|template)\b|\btheme by\b|\bdesign(?:ed)? by\b.{0,40}\b(?:templates?|themes?)\b",
        "'Powered by WordPress' / theme credits are the site footer.",
        max_chars=220,
        keywords=("powered by", "theme", "template"),
    ),
    Rule(
        "terms_agreement",
        LEGAL,
        r"\b(?:by using|by continuing to use|by accessing)\b.{0,40}\b(?:site|website"
        r"|service)\b.{0,60}\b(?:agree|accept|consent)\b|\bdurch die nutzung dieser (?:website|seite)\b",
        "'By using this site you agree ...' is legal boilerplate.",
        max_chars=300,
        keywords=("by using", "by continuing", "by accessing", "durch die nutzung"),
    ),
)


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of a literal, as a set (word lists are easier to read this way)."""
    return frozenset(text.split())


# --- stop words ----------------------------------------------------------------------------------
# Small lists of the most frequent function words. Their density separates sentences (many function
# words) from menus, link lists and labels (almost none). Kept short on purpose: they are a signal,
# not a linguistic resource.
STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "a about after all also an and any are as at be been before but by can could did do does for from "
        "had has have he her his how i if in into is it its just more most my no not now of on one only or "
        "other our out over she so some than that the their them then there these they this to up us was we "
        "were what when where which while who why will with would you your"
    ),
    "de": _words(
        "aber alle als also am an auch auf aus bei bin bis da damit dann das dass daß dem den der des die "
        "dies diese dieser doch du durch ein eine einem einen einer eines er es für hat hatte haben ich ihr "
        "ihre im in ist ja kann man mehr mit muss nach nicht noch nur ob oder schon sehr sein seine sich sie "
        "sind so über um und uns unter vom von vor war waren was weil wenn werden wie wir wird wurde zu zum "
        "zur"
    ),
    "fr": _words(
        "à au aux avec ce ces cette comme dans de des du elle en est et être eux il ils je la le les leur "
        "lui mais me même mes moi mon ne nos notre nous on ou où par pas plus pour qu que qui sa se ses son "
        "sont sur ta te tes toi ton tu un une vos votre vous y été était ont avait fait aussi très"
    ),
    "es": _words(
        "a al algo como con de del desde donde el ella ellos en entre era es esa ese eso esta este esto fue "
        "ha han hay la las le les lo los más me mi muy no nos o para pero por porque que se ser si sin sobre "
        "son su sus también te tiene todo tu un una uno y ya"
    ),
    "fi": _words(
        "ei eikä ennen eli en et ette hän he jo joka jolla jonka jos jossa josta jotka kanssa kaikki kuin "
        "kun me mikä minä mitä mukaan mutta myös ne niin noin nyt ole olen oli olivat olla ollut on ovat "
        "se sekä sen siitä sillä sinä sitä siten tai te tämä tämän tässä vaan vai vain voi yli että ja kuten "
        "koska sitten vielä aina paljon hänen heidän siis joten"
    ),
    "sv": _words(
        "alla att av blev bli de dem den denna det detta dig din du där efter ej eller en er ett för från "
        "har hade han hans henne hon hur i inte jag kan man med mellan men mig min mot mycket ni nu när och "
        "om oss på sig sin sitt skulle som så till under upp ut vad var vara vi vid som också än"
    ),
}
ALL_STOP_WORDS: frozenset[str] = frozenset().union(*STOP_WORDS.values())

# --- promo box titles ----------------------------------------------------------------------------
# A short title line standing alone right above a removed promo box (newsletter, community, events,
# app) is the box's title ("AIM Daily XO", "Morning Briefing", "Join the Conversation") when it
# carries one of these words; an ordinary section heading above a box does not, and is kept.
PROMO_TITLE_WORDS: dict[str, frozenset[str]] = {
    NEWSLETTER: _words(
        "daily weekly monthly newsletter newsletters digest brief briefing bulletin roundup dispatch "
        "insider update updates edition inbox mail morning evening subscribe "
        "täglich wöchentlich tägliche wöchentliche morgen abend briefing kompakt"
    ),
    COMMUNITY: _words("community connect connected social follow join conversation us uns"),
    EVENTS_ADS: _words("events event webinar webinars conference summit veranstaltungen termine"),
    APP: _words("app apps mobile download"),
}
