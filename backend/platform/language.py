"""One language per answer.

Server text is written once as "中文 / English" (titles, field errors, job problems, notification
titles and bodies), and this module alone picks the reader's half when an answer is rendered:
the user's own setting, else the device's Accept-Language, else zh-CN. Only a real bilingual pair
is split: Chinese on the left, mostly Latin on the right, so a path ("a/b"), a fraction ("3 / 20")
or a Chinese "学号 / 工号" stays whole.
"""
import re

from flask import g, has_request_context, request

LANGUAGES = ("zh-CN", "en")
DEFAULT = "zh-CN"
SEPARATOR = " / "
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def split(text: str) -> tuple[str, str] | None:
    """(Chinese, English) of a bilingual text, or None for any other text. Either half may hold
    " / " itself (a Chinese "学号 / 工号", an English "student / staff"): the split is the one
    whose right half has the fewest Chinese characters, the leftmost of those."""
    best = None
    at = text.find(SEPARATOR)
    while at != -1:
        left, right = text[:at], text[at + len(SEPARATOR):]
        han = len(_HAN.findall(right))
        if _HAN.search(left) and len(_LATIN.findall(right)) > han and (best is None or han < best[0]):
            best = (han, left.strip(), right.strip())
        at = text.find(SEPARATOR, at + 1)
    return best[1:] if best else None


def pick(text, lang: str | None = None):
    """The reader's half of a bilingual text; any other value as it is."""
    if not isinstance(text, str):
        return text
    halves = split(text)
    if halves is None:
        return text
    return halves[1] if (lang or requested()) == "en" else halves[0]


def localise(value, lang: str | None = None):
    """Every bilingual text in a JSON-like value (a problem document, its nested field errors)."""
    lang = lang or requested()
    if isinstance(value, dict):
        return {key: localise(item, lang) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [localise(item, lang) for item in value]
    return pick(value, lang)


def of(setting: str | None) -> str:
    """A user's language when no device says otherwise (a push, a job): their setting, or zh-CN."""
    return setting if setting in LANGUAGES else DEFAULT


def use(setting: str | None) -> None:
    """The signed-in user's own setting, which wins over the device's for this request."""
    if has_request_context():
        g.spiral_language = setting


def requested() -> str:
    """This request's language: the user's setting, else Accept-Language, else zh-CN."""
    if not has_request_context():
        return DEFAULT
    chosen = g.get("spiral_language")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT)


def extend(text: str, suffix: str) -> str:
    """A bilingual text with the same suffix (an id, a count) on both halves."""
    halves = split(text)
    return f"{halves[0]}{suffix}{SEPARATOR}{halves[1]}{suffix}" if halves else f"{text}{suffix}"
