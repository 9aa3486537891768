"""User comment threads: the lines that open one and the lines that mark a comment inside one.

Below many articles sits a thread of readers' comments. Its text reads like article prose, so a line
classifier keeps it; but datasets of articles leave it out (the Dragnet and CleanEval golds do), and so
does webcurate by default (`keep_comments` keeps it). A thread is found by its furniture: a header
("12 Comments", "Leave a Reply", "Reader comments (3)", "Kommentare") or a cluster of comment markers
("Jane says:", "Reply", "Report abuse", "by jdoe on Aug 9, 2012 10:39 AM"). The patterns are RE2 syntax
(pyarrow.compute runs them over a batch of lines) and Python's `re` alike.
"""

from __future__ import annotations

import re

# The form to write a comment: it ends the article as a thread header does, but stands as often under an
# article without comments, so it opens a thread only when little article text follows it (region.py).
COMMENT_FORM = (
    r"(?i)^\W{0,3}(?:"
    r"(?:leave|post|add|write|submit)\s+(?:a\s+new\s+|a\s+|your\s+|new\s+)?(?:comment|reply|response)\b.{0,40}$"
    r"|(?:join|start)\s+the\s+(?:discussion|conversation)\b.{0,40}$"
    r"|comments?\s+(?:are|is)\s+closed\b.{0,40}$"
    r"|(?:kommentar\s+(?:schreiben|verfassen)|schreiben\s+sie\s+einen\s+kommentar)\b.{0,40}$"
    r")"
)

# What a number of comments is counted in: "12 Comments", "3 Responses", "5 Kommentare", "2 commentaires",
# "12 kommentarer", "57 kommenttia".
COUNTED = (
    r"(?:comments?|responses?|replies|reactions?|kommentare?|commentaires?|comentarios?|kommentarer"
    r"|kommenttia?)"
)
# A count of comments on a form's line ("Post a Comment 241 Comments and 16 Replies", "Add a Comment See
# all 18 Comments") says the thread is there: such a line heads it, whatever follows.
COMMENT_COUNT = r"(?i)\b\d+\s+" + COUNTED + r"\b"

# A line that opens a thread of comments (or its form, COMMENT_FORM). Each alternative is a whole-line
# shape, so an inline "3 Comments" in a byline does not match.
COMMENT_HEADER = (
    COMMENT_FORM[:-1] + "|"
    r"\W{0,3}(?:"
    # "12 Comments", "57 kommenttia:"
    r"\d+\s+" + COUNTED + r"\W{0,3}(?:\(\w+\))?\W{0,3}$"
    # "Comments", "Reader comments (3)", "Discussion:", "Kommentare", "Leserkommentare"
    r"|(?:reader|readers'?|user|visitor)?\s*(?:comments?|responses|discussion|reactions|kommentare"
    r"|leserkommentare|commentaires|comentarios|kommentarer|kommentit)\s*(?:\(\d+\)|\d+)?\s*:?\s*$"
    # "38 Responses to “Title”", "12 thoughts on “Title”"
    r"|\d+\s+(?:thoughts|responses|comments|replies)\s+(?:on|to)\s+\S.*$"
    r"|(?:thoughts|responses|comments|replies)\s+(?:on|to)\s+[“\"'‘«].*$"
    r"|(?:showing|view|load|show|read)\s+(?:all\s+)?(?:\d+\s+)?comments?\b.{0,40}$"
    r"|\{\s*\d+\s+comments?\b.{0,60}$"
    r"))"
)

# A line inside a thread: who said it and when, and the buttons under each comment. Only short lines
# count (MARKER_MAX_CHARS: a name-and-date line, a reply button), so that article prose mentioning
# "says:" is no marker. Unanchored alternatives, tried at every position, are five times faster in RE2
# than whole-line shapes with a leading `.{0,80}`.
COMMENT_MARKER = (
    r"(?i)"
    # "Jane Doe says:", "Anonymous said...", "by jdoe (123) writes:", "Max schreibt:"
    r"\b(?:says|said|writes|wrote|responded|schreibt|schrieb|sagt)\s*(?::|\.\.\.|…)$"
    # "by jdoe on Aug 9, 2012 10:39 AM EDT up reply actions"
    r"|^by\s+\S+.{0,80}\b(?:writes:|reply|EDT|PDT|EST|PST|CET|GMT)\b"
    # buttons: "Reply", "ReplyDelete", "Report abuse", "Permalink", "Antworten"
    r"|^\W*(?:reply|replydelete|report\s+(?:abuse|comment)|permalink|flag|reply\s+to\s+this|antworten"
    r"|répondre|responder|svara|vastaa)\b"
    r"|\b(?:up|down)vote|\b\d+\s+(?:points?|recs|likes)\b|\b(?:link|reply)\s+to\s+comment\b"
    # "Matt Jaycox | November 9, 2012 12:13 AM | Reply"
    r"|[|·•]\s*(?:reply|antworten|répondre|responder|svara|vastaa)$"
    # "Jane on October 28, 2012 at 1:41 pm", "— June 26th, 2012, 9:53 pm"
    r"|\b\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4},?\s+(?:at\s+)?\d{1,2}:\d{2}\s*(?:am|pm)?\W{0,3}$"
)
MARKER_MAX_CHARS = 140

# A forum thread is no article with comments under it: its posts are the page's content. Forum software
# prints the poster's member box over every post, the first included ("Joined: 28 Nov 2003", "Posts: 516"),
# and replies that quote others ("tclover wrote:") cluster as comment markers; so a page whose member boxes
# start before its first post's text is a forum, and no comment thread is cut from it.
FORUM_MEMBER = (
    r"(?i)^\W{0,3}(?:joined|join date|registered|member since|registriert(?: seit)?|mitglied seit"
    r"|dabei seit|inscrit(?: le| depuis)?|inscription|liittynyt|rekisteröitynyt|medlem sedan|registrerad"
    r"|registrado|miembro desde|fecha de ingreso)\s*:\s*\S.{0,60}$"
)
FORUM_MIN_POSTS = 3  # member boxes a page needs to be a forum thread

_HEADER = re.compile(COMMENT_HEADER)
_FORM = re.compile(COMMENT_FORM)
_COUNT = re.compile(COMMENT_COUNT)
_MARKER = re.compile(COMMENT_MARKER)
_MEMBER = re.compile(FORUM_MEMBER)
THREAD_MIN_CONTENT_CHARS = (
    400  # a thread starts only after this much article text (a header above it is a link)
)
MARKER_CLUSTER = 5  # a marker starts a thread when another follows within this many lines
FORM_MAX_AFTER = 0.5  # a form opens a thread when the article text after it is at most this share of before


def is_comment_header(line: str) -> bool:
    """Whether a line opens a comment thread."""
    return _HEADER.match(line.strip()) is not None


def is_comment_form(line: str) -> bool:
    """Whether a line heads the form to write a comment (and counts no comments: see COMMENT_COUNT)."""
    core = line.strip()
    return _FORM.match(core) is not None and _COUNT.search(core) is None


def is_comment_marker(line: str) -> bool:
    """Whether a line is a comment's name, date or button line."""
    core = line.strip()
    return len(core) <= MARKER_MAX_CHARS and _MARKER.search(core) is not None


def is_forum_member_line(line: str) -> bool:
    """Whether a line is a forum post's member box line ("Joined: 28 Nov 2003", "Mitglied seit: 2009")."""
    return _MEMBER.match(line.strip()) is not None
